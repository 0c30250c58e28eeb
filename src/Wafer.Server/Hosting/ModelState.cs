namespace Wafer.Server.Hosting;

/// <summary>Where a served model stands; <c>/v1/models</c> reports it as <c>state</c>.</summary>
public enum ModelState
{
    /// <summary>Not in memory; the next request for it loads it.</summary>
    Unloaded,

    /// <summary>Being loaded (or waiting for idle models to unload so it fits the memory bound).</summary>
    Loading,

    /// <summary>In memory and serving.</summary>
    Loaded,

    /// <summary>Its last load failed; the next request tries again.</summary>
    Failed,
}
