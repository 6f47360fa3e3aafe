using MicroKernel.Sim.Cli;

// mk: the MicroKernel simulator's command line (docs/cli.md). Buffered stdout, flushed before exit.
StandardStreams streams = StandardStreams.Open();
return new CliApp(streams.Output, streams.Error).Invoke(args);
