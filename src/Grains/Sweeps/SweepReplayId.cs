using System.Security.Cryptography;
using System.Text;

namespace TraceReplay.Grains.Sweeps;

/// <summary>
/// The id of the replay a sweep starts for one of its traces: a hash of the sweep id, the trace's place in the sweep
/// and the attempt, shaped like any replay id (<c>rpl_</c> and 32 hex digits). Starting the same attempt again — after
/// a crash, from an older checkpoint — names the same replay, which answers instead of a second one being made.
/// </summary>
public static class SweepReplayId
{
    public static string For(string sweepId, int index, int attempt)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{sweepId}/{index}/{attempt}"));
        return "rpl_" + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }
}
