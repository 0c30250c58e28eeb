namespace Wafer.Server.Hosting;

/// <summary>A model the server answers for: the name clients send as <c>model</c> and the GGUF file it loads.</summary>
/// <param name="Preload">Load it at start; <c>/health</c> is ready only once it is loaded.</param>
/// <param name="Pinned">Never unload it (keep-alive and the memory bound do not apply): the one model of a plain
/// <c>wafer serve MODEL</c>.</param>
public sealed record ModelSpec(string Name, string Path, bool Preload = false, bool Pinned = false);
