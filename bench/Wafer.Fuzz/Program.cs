using SharpFuzz;
using Wafer.Fuzz;

// wafer-fuzz TARGET                 run under afl-fuzz (SharpFuzz's persistent mode); bench/fuzz.sh does the rest
// wafer-fuzz TARGET --replay FILE…  run inputs without AFL (triage a crash: the exception escapes)
// wafer-fuzz TARGET --seeds DIR     write the seed corpus of TARGET into DIR
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Wafer.Fuzz TARGET [--replay FILE... | --seeds DIR]; targets: {string.Join(", ", FuzzTargets.All.Keys)}");
    return 2;
}
if (args.Length >= 2 && args[1] == "--replay")
{
    foreach (string file in args[2..])
    {
        target(File.ReadAllBytes(file));
        Console.WriteLine($"{file}: ok");
    }
    return 0;
}
if (args.Length == 3 && args[1] == "--seeds")
{
    int count = FuzzSeeds.Write(args[0], args[2]);
    Console.WriteLine($"{count} seeds for {args[0]} in {args[2]}");
    return 0;
}
Fuzzer.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
