using Wafer.Engine.Requests;

namespace Wafer.Engine.Scheduling;

/// <summary>What one step did to a request: the token it generated (if any) and whether it finished.</summary>
public readonly record struct RequestUpdate(EngineRequest Request, int Token, FinishReason? Finished)
{
    /// <summary>True when the step generated a token for this request.</summary>
    public bool HasToken => Token >= 0;
}
