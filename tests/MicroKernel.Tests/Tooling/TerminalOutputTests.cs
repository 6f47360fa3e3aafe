using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// On a real terminal the account is the bytes mk prints and nothing else: no escape code from Spectre.Console (it
/// once wrapped the table title in ESC[39;49m there) nor from System.Console's terminal set-up (ESC[?1h ESC=).
/// util-linux's <c>script</c> gives mk a pseudo-terminal; without it the tests are skipped, visibly (and so is the
/// pipe test, which needs a Unix shell too).
/// </summary>
public sealed class TerminalOutputTests
{
    [ScriptFact]
    public void The_account_on_a_terminal_has_no_escape_code()
    {
        string mk = typeof(CliApp).Assembly.Location;
        HostProcess.Result r = HostProcess.Run("script", ["-qec", $"dotnet \"{mk}\" run demo", "/dev/null"], Path.GetTempPath(),
            new Dictionary<string, string> { ["TERM"] = "xterm-256color" });
        r.Code.ShouldBe(ExitCodes.Ok, r.ToString());
        r.Output.ShouldContain("processes");
        r.Output.ShouldContain("invariants: all");
        r.Output.ShouldNotContain('\u001b');
    }

    [ScriptFact]
    public void Fuzz_colours_its_table_on_a_terminal_and_with_NO_COLOR_writes_no_escape_code_at_all()
    {
        string mk = typeof(CliApp).Assembly.Location;
        // Spectre takes an empty NO_COLOR for a set one: the coloured run has none at all (env -u).
        HostProcess.Result Fuzz(string noColor)
        {
            HostProcess.Result r = HostProcess.Run("script", ["-qec", $"env {noColor} TERM=xterm-256color dotnet \"{mk}\" fuzz --syscalls 200", "/dev/null"], Path.GetTempPath());
            r.Code.ShouldBe(ExitCodes.Ok, r.ToString());
            r.Output.ShouldContain("syscall x result");
            return r;
        }

        string coloured = Fuzz("-u NO_COLOR").Output;
        coloured.ShouldContain("\u001b[38;5;");
        // System.Console's terminal set-up (keypad mode) is not mk's to write.
        coloured.ShouldNotContain("\u001b[?1h");
        Fuzz("NO_COLOR=1").Output.ShouldNotContain('\u001b');
    }

    [ScriptFact]
    public void A_pipe_closed_by_its_reader_ends_mk_quietly_with_141_as_sigpipe_ends_cat()
    {
        string mk = typeof(CliApp).Assembly.Location;
        // This prints about 178 KB: more than the pipe holds plus what head reads before it exits, so mk writes
        // into a pipe whose reader has gone.
        HostProcess.Result r = HostProcess.Run("bash", ["-c", $"dotnet \"{mk}\" run queue --switches --dump-maps | head -n 1; echo \"mk exited ${{PIPESTATUS[0]}}\""], Path.GetTempPath());
        r.Code.ShouldBe(0, r.ToString());
        r.Output.ShouldBe("MicroKernel: scenario 'queue' (builtin:queue)\nmk exited 141\n", r.ToString());
        r.Error.ShouldBeEmpty();
    }

    /// <summary>A fact that is skipped, with the reason, where <c>script</c> is not on PATH (no process is started to find out).</summary>
    private sealed class ScriptFactAttribute : FactAttribute
    {
        public ScriptFactAttribute()
        {
            bool found = !OperatingSystem.IsWindows() && (Environment.GetEnvironmentVariable("PATH") ?? "")
                .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
                .Any(dir => File.Exists(Path.Combine(dir, "script")));
            if (!found) Skip = "util-linux script (a pseudo-terminal for mk) is not on PATH";
        }
    }
}
