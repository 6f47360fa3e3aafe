using System.Collections.Immutable;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>The example programs by the names scenario files use (the loader's ExampleImages makes images of them).</summary>
public static class ExamplePrograms
{
    /// <summary>Name -> factory of a fresh program instance (immutable: this is program code, MK0001).</summary>
    public static ImmutableSortedDictionary<string, Func<UserProgram>> All { get; } = new SortedDictionary<string, Func<UserProgram>>(StringComparer.Ordinal)
    {
        ["hello"] = () => new HelloProgram(),
        ["sieve"] = () => new SieveProgram(),
        ["parallel-sum"] = () => new ParallelSumProgram(),
        ["faulter"] = () => new FaultingProgram(),
        ["sleeper"] = () => new SleeperProgram(),
        ["deadlock"] = () => new DeadlockProgram(),
        ["pipe-producer"] = () => new PipeProducerProgram(),
        ["pipe-consumer"] = () => new PipeConsumerProgram(),
        ["table-broadcaster"] = () => new TableBroadcasterProgram(),
        ["table-reader"] = () => new TableReaderProgram(),
        ["temp-sensor"] = () => new TemperatureSensorProgram(),
        ["fan"] = () => new FanProgram(),
        ["fan-control"] = () => new FanControlProgram(),
        ["queue-server"] = () => new Services.Queue.QueueServer(),
        ["queue-producer"] = () => new QueueProducerProgram(),
        ["queue-consumer"] = () => new QueueConsumerProgram(),
        ["queue-check"] = () => new QueueCheckProgram(),
        ["kv-client"] = () => new KeyValueClientProgram(),
        ["careless-mapper"] = () => new CarelessMapperProgram(),
        ["tlb-reach"] = () => new TlbReachProgram(),
        ["shmem-parent"] = () => new ShmemParentProgram(),
        ["shmem-child"] = () => new ShmemChildProgram(),
        ["stream-camera"] = () => new StreamCameraProgram(),
        ["stream-consumer"] = () => new StreamConsumerProgram(),
        ["stream-display"] = () => new StreamDisplayProgram(),
        ["portals-node"] = () => new PortalsNodeProgram(),
    }.ToImmutableSortedDictionary(StringComparer.Ordinal);
}
