using MicroKernel.Userland.Runtime;

// Everything in this assembly runs inside simulated processes (the runtime is the programs' library), so all of it
// is program code for analyzer rule MK0001: no writable static state (docs/architecture.md).
[assembly: ProgramNamespace("MicroKernel.Userland")]
