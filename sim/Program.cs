using MicroKernel.Sim.Cli;

// mk: the MicroKernel simulator's command line (docs/cli.md).
return new CliApp(Console.Out, Console.Error).Invoke(args);
