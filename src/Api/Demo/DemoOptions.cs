namespace TraceReplay.Api.Demo;

/// <summary>The demo the all-in-one host starts with (section <c>TraceReplay:Demo</c>). It lives in the default project only.</summary>
public sealed class DemoOptions
{
    public const string Section = "TraceReplay:Demo";

    /// <summary>Load the demo at start-up: traces, template, and (with <see cref="Story"/>) evaluators and a finished sweep. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// The part that shows a verdict: three demo evaluators (a rule, similarity to the original, an LLM judge), ~50
    /// scored traces of two agents, and the demo sweep <see cref="DemoStory.SweepId"/> replaying them with a cheaper model.
    /// The evaluators score every new trace of the default project, so hosts that use it for other things turn this off. Default true.
    /// </summary>
    public bool Story { get; set; } = true;
}
