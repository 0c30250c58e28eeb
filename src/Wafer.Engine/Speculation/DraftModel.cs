using Wafer.Engine.KvCache;
using Wafer.Engine.Requests;
using Wafer.Kernels.Parallelism;
using Wafer.Models.Architectures;
using Wafer.Models.Inference;
using Wafer.Models.Quantization;
using Wafer.Models.Tokenization;

namespace Wafer.Engine.Speculation;

/// <summary>A smaller model with the target's vocabulary that proposes greedy drafts, with a paged KV cache of its own.</summary>
/// <remarks>
/// Per step, for all drafting sequences at once: round 0 feeds each sequence's tokens the draft has not seen (its whole
/// prompt the first time, then the tokens accepted since; always at least the last one) and takes the argmax as draft 0;
/// round j feeds draft j − 1 and takes draft j. After k rounds the draft's cache holds the sequence's tokens and its first
/// k − 1 drafts; at the next step only the part that matches what the target kept is reused (the rest is overwritten),
/// so rejected drafts cost nothing to undo. Drafts are the draft's argmax, a point mass, so the target verifies them by
/// sampling as usual and comparing (exact, see <see cref="Execution.ModelRunner"/>).
/// The draft is either another GGUF file (<c>--draft FILE</c>) or the target's own weights requantized at load
/// (<c>--draft self:Q4_0</c>: written once to a temporary file, mapped, and deleted when the engine stops).
/// Used by the engine thread only.
/// </remarks>
public sealed class DraftModel : IDisposable
{
    private readonly TransformerModel _model;
    private readonly bool _ownsModel;
    private readonly string? _temporaryFile;
    private readonly KvCacheManager _kv;
    private readonly PagedKvStorage _storage;
    private readonly ForwardBatch _batch = new();
    private readonly Dictionary<long, int> _computed = [];   // request → tokens of it the draft's cache holds
    private readonly List<int> _active = [];                  // indices into the requests being proposed for
    private float[] _logits = [];

    private DraftModel(TransformerModel model, bool ownsModel, string? temporaryFile, int tokens, int blockSize, string description)
    {
        WeightBytes = model.File.FileBytes;
        if (temporaryFile != null)
        {
            try
            {
                File.Delete(temporaryFile); // mapped already: the file goes with the process (where the OS allows it)
                temporaryFile = null;
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
        _model = model;
        _ownsModel = ownsModel;
        _temporaryFile = temporaryFile;
        int blocks = Math.Max(1, (tokens + blockSize - 1) / blockSize);
        _kv = new KvCacheManager(blocks, blockSize, prefixCaching: false);
        _storage = new PagedKvStorage(model.Config, blocks, blockSize);
        Description = description;
    }

    /// <summary>What the draft is (file name, or the target's requantized copy).</summary>
    public string Description { get; }

    /// <summary>The draft's weights in bytes (file size as mapped).</summary>
    public long WeightBytes { get; }

    /// <summary>The draft's KV cache in bytes.</summary>
    public long KvBytes => _storage.TotalBytes;

    /// <summary>Loads the draft <paramref name="spec"/> (a GGUF path, or <c>self:TYPE</c>) for <paramref name="target"/>, with a KV
    /// cache of <paramref name="tokens"/> tokens.</summary>
    /// <exception cref="ArgumentException">The draft's vocabulary differs from the target's, or the spec names no file or type.</exception>
    public static DraftModel Load(string spec, TransformerModel target, Tokenizer targetTokenizer, WorkerPool pool, int tokens, int blockSize, bool repack)
    {
        if (spec.StartsWith("self:", StringComparison.Ordinal))
        {
            var scheme = QuantizationScheme.Parse(spec["self:".Length..]);
            string file = Path.Combine(Path.GetTempPath(), $"wafer-draft-{Environment.ProcessId}-{Guid.NewGuid():N}.gguf");
            try
            {
                ModelQuantizer.Quantize(target.File.Path, file, scheme);
                var model = TransformerModel.Load(file, pool, repack);
                return new DraftModel(model, ownsModel: true, file, tokens, blockSize, $"self:{scheme.Name} ({Path.GetFileName(target.File.Path)} requantized)");
            }
            catch
            {
                File.Delete(file);
                throw;
            }
        }
        if (!File.Exists(spec)) throw new FileNotFoundException($"--draft '{spec}' does not exist; pass a GGUF file with the target's vocabulary, or self:Q4_0");
        var draft = TransformerModel.Load(spec, pool, repack);
        try
        {
            CheckVocabulary(targetTokenizer, Tokenizer.FromMetadata(draft.File.Metadata, Path.GetFileName(spec)), spec);
            return new DraftModel(draft, ownsModel: true, null, tokens, blockSize, Path.GetFileName(spec));
        }
        catch
        {
            draft.Dispose();
            throw;
        }
    }

    /// <summary>Throws when <paramref name="draft"/>'s tokens are not <paramref name="target"/>'s, id for id.</summary>
    public static void CheckVocabulary(Tokenizer target, Tokenizer draft, string draftName)
    {
        if (target.VocabularySize != draft.VocabularySize)
            throw new ArgumentException($"--draft '{draftName}' has {draft.VocabularySize} tokens and the model {target.VocabularySize}: a draft must share the model's tokenizer");
        for (int id = 0; id < target.VocabularySize; id++)
            if (target.TokenText(id) != draft.TokenText(id))
                throw new ArgumentException($"--draft '{draftName}' differs from the model at token {id} ('{draft.TokenText(id)}' vs '{target.TokenText(id)}'): a draft must share the model's tokenizer");
    }

    /// <summary>Proposes <paramref name="counts"/>[i] greedy drafts for each of <paramref name="requests"/> into their
    /// <see cref="EngineRequest.Draft"/>; a count becomes 0 where the draft's cache or context has no room.</summary>
    public void Propose(IReadOnlyList<EngineRequest> requests, List<int> counts)
    {
        _active.Clear();
        int rounds = 0;
        for (int i = 0; i < requests.Count; i++)
        {
            var r = requests[i];
            int length = r.Tokens.Count, k = counts[i];
            // Reuse what matches the target's kept tokens: everything before the target's own next position.
            int start = Math.Min(_computed.GetValueOrDefault(r.Id), r.ComputedCount);
            if (k <= 0 || length + k - 1 > _model.Config.ContextLength || !_kv.TryAllocate(r.Id, length + k - 1))
            {
                counts[i] = 0;
                continue;
            }
            _computed[r.Id] = start;
            _active.Add(i);
            rounds = Math.Max(rounds, k);
        }
        int vocab = _model.Config.VocabSize;
        for (int round = 0; round < rounds; round++)
        {
            _batch.Clear();
            int slot = 0;
            foreach (int i in _active)
            {
                if (counts[i] <= round) continue;
                var r = requests[i];
                _storage.Bind(slot, _kv.BlockTable(r.Id));
                if (round == 0)
                {
                    var tokens = r.Tokens;
                    for (int p = _computed[r.Id]; p < tokens.Count; p++) _batch.Add(tokens[p], p, slot, p == tokens.Count - 1);
                }
                else
                {
                    _batch.Add(r.Draft[round - 1], r.Tokens.Count + round - 1, slot, true);
                }
                slot++;
            }
            if (_logits.Length < _batch.OutputCount * vocab) _logits = new float[_batch.OutputCount * vocab];
            _model.Forward(_batch, _storage, _logits);
            int row = 0;
            foreach (int i in _active)
            {
                if (counts[i] <= round) continue;
                requests[i].Draft[round] = ArgMax(_logits.AsSpan(row++ * vocab, vocab));
            }
        }
        foreach (int i in _active) _computed[requests[i].Id] = requests[i].Tokens.Count + counts[i] - 1;
    }

    /// <summary>Forgets a request (finished or cancelled): its blocks go back to the draft's pool.</summary>
    public void Release(long requestId)
    {
        if (_computed.Remove(requestId)) _kv.Free(requestId);
    }

    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    public void Dispose()
    {
        _storage.Dispose();
        if (_ownsModel) _model.Dispose();
        if (_temporaryFile != null)
        {
            try
            {
                File.Delete(_temporaryFile);
            }
            catch (IOException)
            {
            }
        }
    }
}
