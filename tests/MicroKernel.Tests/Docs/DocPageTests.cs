using Shouldly;

namespace MicroKernel.Tests.Docs;

/// <summary>The doc test's reader and runner on small made-up pages: what counts as a command, an output, a marker.</summary>
public class DocPageTests
{
    private const string Page = """
        # A page
        ```sh
        mk run demo   # the demo
        # a comment line
        mk run deadlock   # (exit code 3)
        echo $?
        ```
        Some prose.
        ```
        run: Completed at tick ...
        ```
        <!-- doctest: needs-gcc -->
        ```sh
        make -C userland/examples/c
        ```
        <!-- doctest: skip an edit by hand -->
        ```sh
        vi steady.scn
        ```
        ## Next
        ```
        not an output: a heading lies between
        ```
        """;

    [Fact]
    public void Shell_blocks_their_commands_markers_and_output_are_read()
    {
        IReadOnlyList<DocBlock> blocks = DocPage.Parse("p.md", Page);
        blocks.Count.ShouldBe(3);
        blocks[0].Commands.ShouldBe(["mk run demo   # the demo", "mk run deadlock   # (exit code 3); echo $?"]);
        blocks[0].Expected.ShouldBe(["run: Completed at tick ..."]);
        blocks[0].Line.ShouldBe(2);
        blocks[1].Marker.ShouldBe(DocMarker.NeedsGcc);
        blocks[2].Marker.ShouldBe(DocMarker.Skip);
        blocks[2].Expected.ShouldBeEmpty();
    }

    [Fact]
    public void An_illustrative_output_block_is_not_checked()
    {
        IReadOnlyList<DocBlock> blocks = DocPage.Parse("p.md", "```sh\nmk run demo\n```\n<!-- doctest: illustrative -->\n```\nanything\n```\n");
        blocks.Single().Expected.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("<!-- doctest: sometimes -->", "unknown doctest marker 'sometimes'")]
    [InlineData("<!-- doctest: skip -->", "needs a reason")]
    public void A_bad_marker_is_an_error_that_names_the_line(string marker, string message)
    {
        var e = Should.Throw<InvalidDataException>(() => DocPage.Parse("p.md", $"text\n{marker}\n```sh\nmk\n```\n"));
        e.Message.ShouldContain("p.md:2");
        e.Message.ShouldContain(message);
    }

    [Theory]
    [InlineData("     16 [pid 3 tid 3]      write(0x10000100, 16) = 16", "16 [pid 3 tid 3] write(0x10000100, 16) = 16", true)]
    [InlineData("trace: 164 events, 5140 bytes written to pages.mktrace", "trace: 164 events, ... bytes written to pages.mktrace", true)]
    [InlineData("trace: 165 events, 5140 bytes written to pages.mktrace", "trace: 164 events, ... bytes written", false)]
    [InlineData("a(b) [c] = *", "a(b) [c] = *", true)]
    public void An_expected_line_matches_with_any_white_space_and_dots_for_any_text(string actual, string expected, bool shows) =>
        DocPage.Shows("first line\n" + actual + "\nlast line", expected).ShouldBe(shows);

    [Theory]
    [InlineData("mk run demo", 0)]
    [InlineData("mk run deadlock   # a deadlock (exit code 3)", 3)]
    [InlineData("mk run x; echo $?", null)]
    public void The_exit_code_a_command_must_give_is_read_from_its_comment(string command, int? code) =>
        DocShell.ExpectedCode(command).ShouldBe(code);

    [Fact]
    public void Dotnet_run_of_the_simulator_becomes_the_built_mk() =>
        DocShell.Rewrite("dotnet run --project sim -- run demo && dotnet run --project sim").ShouldBe("mk run demo && mk");

    [Fact]
    public void A_command_that_fails_or_an_output_that_differs_is_reported_with_the_page_line()
    {
        using var shell = new DocShell();
        var block = new DocBlock("p.md", 7, DocMarker.None, ["mk run no-such-scenario", "mk run deadlock   # (exit code 3)"],
            ["deadlock: ...", "this line is in no output"]);
        IReadOnlyList<string> problems = shell.Run(block);
        problems.Count.ShouldBe(2, string.Join("\n", problems));
        problems[0].ShouldStartWith("p.md:7: `mk run no-such-scenario` exited 2, the doc says 0");
        problems[1].ShouldBe("p.md:7: the output does not show `this line is in no output`");
    }
}
