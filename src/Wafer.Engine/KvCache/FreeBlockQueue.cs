namespace Wafer.Engine.KvCache;

/// <summary>Blocks nobody holds, least recently freed first: allocation takes (and evicts) from the front.</summary>
/// <remarks>A doubly linked list threaded through the blocks themselves, so a cached block that gets a
/// prefix hit leaves the queue in O(1).</remarks>
internal sealed class FreeBlockQueue
{
    private KvBlock? _head;
    private KvBlock? _tail;

    public int Count { get; private set; }

    public void Append(KvBlock block)
    {
        block.Previous = _tail;
        block.Next = null;
        if (_tail != null) _tail.Next = block;
        else _head = block;
        _tail = block;
        block.InFreeQueue = true;
        Count++;
    }

    public KvBlock PopFront()
    {
        var block = _head ?? throw new InvalidOperationException("no free KV block");
        Remove(block);
        return block;
    }

    public void Remove(KvBlock block)
    {
        if (block.Previous != null) block.Previous.Next = block.Next;
        else _head = block.Next;
        if (block.Next != null) block.Next.Previous = block.Previous;
        else _tail = block.Previous;
        block.Previous = block.Next = null;
        block.InFreeQueue = false;
        Count--;
    }
}
