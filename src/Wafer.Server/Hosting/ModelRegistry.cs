using System.Globalization;
using Wafer.Server.Api;

namespace Wafer.Server.Hosting;

/// <summary>The models a server answers for, loaded on demand and unloaded when idle, within a memory bound.</summary>
/// <remarks>
/// Step 1: a request acquires its model by name (<see cref="AcquireAsync"/>): it counts as in flight at once, so nothing
/// unloads the model under it, and it starts the load when the model is not in memory; it waits for the load at most
/// <see cref="ModelRegistryOptions.LoadTimeout"/>, then gets 503 with Retry-After while the load goes on.
/// Step 2: a load first makes room: while the loaded models and the one coming would pass the memory bound, the least
/// recently used model with nothing in flight unloads; when none can, the load waits until a request ends (and gives up
/// when no request waits for it any more).
/// Step 3: when a model's last request ends, it stays loaded for its keep-alive (the ending request's <c>keep_alive</c>,
/// else the server's), then a periodic sweep unloads it; a keep-alive of zero unloads it at once.
/// Pinned models never unload. One lock guards every slot; loads and unloads run outside it.
/// </remarks>
public sealed class ModelRegistry<T> : IAsyncDisposable where T : class, ILoadedModel
{
    private readonly object _gate = new();
    private readonly Slot[] _slots;
    private readonly Func<ModelSpec, T> _load;
    private readonly Func<ModelSpec, long> _estimate;
    private readonly ModelRegistryOptions _options;
    private readonly TimeProvider _time;
    private readonly ITimer _sweeper;
    private readonly List<Task> _unloads = [];
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _disposed;

    /// <param name="specs">The models, in the order <c>/v1/models</c> lists them; names are unique.</param>
    /// <param name="load">Loads one model (runs on the thread pool; may take seconds).</param>
    /// <param name="estimate">Bytes a model is expected to hold before it was ever loaded (then its measured size is used).</param>
    /// <param name="answersAnyName">One model that answers every request whatever its <c>model</c> says (the endpoints then
    /// check the name themselves): a plain <c>wafer serve MODEL</c>.</param>
    public ModelRegistry(IReadOnlyList<ModelSpec> specs, Func<ModelSpec, T> load, Func<ModelSpec, long> estimate, ModelRegistryOptions options,
        TimeProvider? time = null, bool answersAnyName = false)
    {
        if (specs.Count == 0) throw new ArgumentException("no model to serve: pass MODEL, --model NAME=PATH or --models-dir DIR");
        if (answersAnyName && specs.Count != 1) throw new ArgumentException("only a registry of one model answers any name");
        foreach (var group in specs.GroupBy(s => s.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
            throw new ArgumentException($"two models are named '{group.Key}' ({string.Join(", ", group.Select(s => s.Path))}); give each its own name with --model NAME=PATH");
        _slots = [.. specs.Select(s => new Slot(s))];
        _load = load;
        _estimate = estimate;
        _options = options;
        _time = time ?? TimeProvider.System;
        AnswersAnyName = answersAnyName;
        var preloads = new List<Task>();
        lock (_gate)
            foreach (var slot in _slots.Where(s => s.Spec.Preload))
                preloads.Add(slot.Loading = StartLoad(slot));
        Preloaded = Task.WhenAll(preloads);
        _sweeper = _time.CreateTimer(_ => Sweep(), null, _options.SweepPeriod, _options.SweepPeriod);
    }

    /// <summary>Raised after a model loaded.</summary>
    public event Action<ModelSpec, T>? Loaded;

    /// <summary>Raised when a load failed, with the reason.</summary>
    public event Action<ModelSpec, Exception>? LoadFailed;

    /// <summary>Raised after a model unloaded, with why ("idle", "memory", "keep_alive").</summary>
    public event Action<ModelSpec, string>? Unloaded;

    /// <summary>Completes when every preloaded model has loaded; faults when one failed.</summary>
    public Task Preloaded { get; }

    /// <summary>Whether the one model answers whatever name a request gives.</summary>
    public bool AnswersAnyName { get; }

    /// <summary>The models served, in order.</summary>
    public IReadOnlyList<ModelSpec> Specs => [.. _slots.Select(s => s.Spec)];

    /// <summary>Bytes the loaded models hold plus what loads in progress reserved.</summary>
    public long UsedBytes
    {
        get
        {
            lock (_gate) return Used();
        }
    }

    /// <summary>Each model's state, for <c>/v1/models</c> and <c>/health</c>.</summary>
    public IReadOnlyList<ModelStatus<T>> Status()
    {
        lock (_gate)
            return [.. _slots.Select(s => new ModelStatus<T>(s.Spec, s.State, s.Instance, s.InFlight, s.Instance?.MemoryBytes ?? 0,
                s.Instance != null && s.InFlight == 0 && !s.Spec.Pinned && s.ExpiresAt != DateTimeOffset.MaxValue ? s.ExpiresAt : null, s.Error))];
    }

    /// <summary>The model a request names, loaded, held until the lease is disposed.</summary>
    /// <param name="name">The request's <c>model</c>; null when it has none.</param>
    /// <param name="keepAlive">The request's <c>keep_alive</c>: how long the model stays loaded once idle; null = the server's.</param>
    public async Task<Lease> AcquireAsync(string? name, TimeSpan? keepAlive, CancellationToken cancellationToken)
    {
        var slot = Find(name);
        if (keepAlive != null && slot.Spec.Pinned)
            throw ApiException.BadParameter("keep_alive", $"'keep_alive' applies to models loaded on demand (wafer serve --models-dir DIR or --model NAME=PATH, or --keep-alive); this server keeps '{slot.Spec.Name}' loaded");
        Task<T> ready;
        lock (_gate)
        {
            if (_disposed) throw new ApiException(503, "the server is shutting down", "server_error");
            slot.InFlight++;
            ready = slot.Instance is { } loaded ? Task.FromResult(loaded) : slot.Loading ??= StartLoad(slot);
        }
        try
        {
            var instance = await ready.WaitAsync(_options.LoadTimeout, _time, cancellationToken).ConfigureAwait(false);
            return new Lease(this, slot, instance, keepAlive);
        }
        catch (TimeoutException)
        {
            Release(slot, null, used: false);
            throw new ApiException(503, string.Create(CultureInfo.InvariantCulture,
                $"the model '{slot.Spec.Name}' is still loading (waited {_options.LoadTimeout.TotalSeconds:0.#} s); retry shortly"), "server_error")
            { RetryAfterSeconds = 5 };
        }
        catch (Exception e)
        {
            Release(slot, null, used: false);
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            if (e is ApiException) throw;
            throw new ApiException(503, $"the model '{slot.Spec.Name}' failed to load: {e.Message}", "server_error");
        }
    }

    private Slot Find(string? name)
    {
        if (AnswersAnyName) return _slots[0];
        string served = string.Join(", ", _slots.Select(s => $"'{s.Spec.Name}'"));
        if (name == null) throw ApiException.BadParameter("model", $"'model' is required: this server serves {served}");
        return _slots.FirstOrDefault(s => s.Spec.Name == name)
            ?? throw new ApiException(404, $"The model '{name}' does not exist; this server serves {served}", param: "model", code: "model_not_found");
    }

    /// <summary>Starts loading <paramref name="slot"/>; call under the lock.</summary>
    private Task<T> StartLoad(Slot slot)
    {
        slot.State = ModelState.Loading;
        slot.Error = null;
        return Task.Run(() => LoadAsync(slot));
    }

    private async Task<T> LoadAsync(Slot slot)
    {
        long need;
        try
        {
            need = slot.KnownBytes > 0 ? slot.KnownBytes : _estimate(slot.Spec);
        }
        catch (Exception e)
        {
            Fail(slot, e);
            throw;
        }
        long max = _options.MaxMemoryBytes;
        if (max > 0 && need > max)
        {
            var e = new ApiException(503, string.Create(CultureInfo.InvariantCulture,
                $"the model '{slot.Spec.Name}' needs about {need / 1048576.0:0.#} MiB, more than --max-memory ({max / 1048576.0:0.#} MiB); raise --max-memory, or shrink its KV cache with --ctx or --kv-cache-mb"), "server_error");
            Fail(slot, e);
            throw e;
        }
        while (true)
        {
            Task released;
            lock (_gate)
            {
                if (_disposed || (slot.InFlight == 0 && !slot.Spec.Preload))
                {
                    // Nobody waits for it any more (or the server stops): give the load up.
                    slot.State = ModelState.Unloaded;
                    slot.Loading = null;
                    throw new ApiException(503, "the load was given up: no request waits for it", "server_error");
                }
                MakeRoom(need, slot);
                if (max == 0 || Used() + need <= max)
                {
                    slot.Reserved = need;
                    break;
                }
                released = _released.Task;
            }
            // A request ending (or a second passing, so an abandoned wait is noticed) is when room may have appeared.
            await Task.WhenAny(released, Task.Delay(TimeSpan.FromSeconds(1), _time)).ConfigureAwait(false);
        }
        T instance;
        try
        {
            instance = _load(slot.Spec);
        }
        catch (Exception e)
        {
            Fail(slot, e);
            throw;
        }
        bool disposed;
        lock (_gate)
        {
            disposed = _disposed;
            slot.Reserved = 0;
            slot.Loading = null;
            if (!disposed)
            {
                slot.Instance = instance;
                slot.State = ModelState.Loaded;
                slot.KnownBytes = instance.MemoryBytes;
                slot.ExpiresAt = Expiry(slot.IdleFor ?? _options.KeepAlive);
                MakeRoom(0, slot); // the model may be larger than its estimate
            }
        }
        if (disposed)
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            throw new ApiException(503, "the server is shutting down", "server_error");
        }
        Loaded?.Invoke(slot.Spec, instance);
        return instance;
    }

    private void Fail(Slot slot, Exception e)
    {
        lock (_gate)
        {
            slot.State = ModelState.Failed;
            slot.Error = e.Message;
            slot.Loading = null;
            slot.Reserved = 0;
            Pulse();
        }
        LoadFailed?.Invoke(slot.Spec, e);
    }

    /// <summary>Unloads idle models, least recently used first, until <paramref name="need"/> more bytes fit; under the lock.</summary>
    private void MakeRoom(long need, Slot coming)
    {
        long max = _options.MaxMemoryBytes;
        while (max > 0 && Used() + need > max)
        {
            var victim = _slots.Where(s => s != coming && s.Instance != null && s.InFlight == 0 && !s.Spec.Pinned).MinBy(s => s.LastUsed);
            if (victim == null) return;
            Unload(victim, "memory");
        }
    }

    private long Used() => _slots.Sum(s => (s.Instance?.MemoryBytes ?? 0) + s.Reserved);

    /// <summary>Takes the model out of service and disposes it in the background; under the lock, with nothing in flight.</summary>
    private void Unload(Slot slot, string reason)
    {
        var instance = slot.Instance!;
        slot.Instance = null;
        slot.State = ModelState.Unloaded;
        var spec = slot.Spec;
        _unloads.RemoveAll(t => t.IsCompleted);
        _unloads.Add(Task.Run(async () =>
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            Unloaded?.Invoke(spec, reason);
        }));
    }

    private void Release(Slot slot, TimeSpan? keepAlive, bool used)
    {
        lock (_gate)
        {
            slot.InFlight--;
            if (used)
            {
                slot.LastUsed = _time.GetTimestamp();
                slot.IdleFor = keepAlive;
                slot.ExpiresAt = Expiry(keepAlive ?? _options.KeepAlive);
                if (slot.InFlight == 0 && slot.Instance != null && !slot.Spec.Pinned && !_disposed && slot.ExpiresAt <= _time.GetUtcNow())
                    Unload(slot, "keep_alive");
            }
            Pulse();
        }
    }

    private DateTimeOffset Expiry(TimeSpan keepAlive) =>
        keepAlive == Timeout.InfiniteTimeSpan || keepAlive < TimeSpan.Zero ? DateTimeOffset.MaxValue : _time.GetUtcNow() + keepAlive;

    private void Pulse()
    {
        var released = _released;
        _released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        released.TrySetResult();
    }

    private void Sweep()
    {
        lock (_gate)
        {
            if (_disposed) return;
            var now = _time.GetUtcNow();
            foreach (var slot in _slots)
                if (slot.Instance != null && slot.InFlight == 0 && !slot.Spec.Pinned && slot.ExpiresAt <= now)
                    Unload(slot, "idle");
        }
    }

    /// <summary>Stops the sweep, waits for loads in progress, and unloads every model.</summary>
    public async ValueTask DisposeAsync()
    {
        Task[] loads;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            loads = [.. _slots.Select(s => s.Loading).OfType<Task>()];
            Pulse();
        }
        await _sweeper.DisposeAsync().ConfigureAwait(false);
        foreach (var load in loads)
        {
            try
            {
                await load.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Its failure was reported when it happened.
            }
        }
        Task[] unloads;
        lock (_gate)
        {
            foreach (var slot in _slots.Where(s => s.Instance != null)) Unload(slot, "shutdown");
            unloads = [.. _unloads];
        }
        await Task.WhenAll(unloads).ConfigureAwait(false);
    }

    /// <summary>One served model's mutable state; every field is read and written under the registry's lock.</summary>
    internal sealed class Slot(ModelSpec spec)
    {
        public ModelSpec Spec { get; } = spec;
        public ModelState State { get; set; } = ModelState.Unloaded;
        public T? Instance { get; set; }
        public Task<T>? Loading { get; set; }
        public int InFlight { get; set; }
        public long LastUsed { get; set; }
        public long Reserved { get; set; }
        public long KnownBytes { get; set; }
        public TimeSpan? IdleFor { get; set; }
        public DateTimeOffset ExpiresAt { get; set; } = DateTimeOffset.MaxValue;
        public string? Error { get; set; }
    }

    /// <summary>A request's hold on its loaded model; disposing it ends the hold and starts the model's keep-alive.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly ModelRegistry<T> _owner;
        private readonly Slot _slot;
        private readonly TimeSpan? _keepAlive;
        private int _disposed;

        internal Lease(ModelRegistry<T> owner, Slot slot, T model, TimeSpan? keepAlive)
        {
            _owner = owner;
            _slot = slot;
            _keepAlive = keepAlive;
            Model = model;
        }

        /// <summary>The loaded model.</summary>
        public T Model { get; }

        /// <summary>The name it is served under.</summary>
        public string Name => _slot.Spec.Name;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) _owner.Release(_slot, _keepAlive, used: true);
        }
    }
}

/// <summary>A served model's state at one moment.</summary>
/// <param name="ExpiresAt">When an idle model unloads; null while it is busy, pinned, kept forever or not loaded.</param>
public sealed record ModelStatus<T>(ModelSpec Spec, ModelState State, T? Instance, int InFlight, long MemoryBytes, DateTimeOffset? ExpiresAt, string? Error)
    where T : class;
