namespace TraceReplay.Tests.Fixtures;

/// <summary>
/// The xunit trait every test class carries, so a run can pick a kind: <c>--filter Category=unit</c> is what
/// <c>scripts/test.sh --fast</c> runs.
/// </summary>
public static class TestCategory
{
    public const string Name = "Category";

    /// <summary>In-process and quick: no silo, no host, no server of any kind.</summary>
    public const string Unit = "unit";

    /// <summary>An in-process Orleans cluster, an API host, silo processes or fake provider servers on 127.0.0.1.</summary>
    public const string Cluster = "cluster";

    /// <summary>Needs the PostgreSQL that scripts/test.sh provisions (TRACEREPLAY_TEST_POSTGRES).</summary>
    public const string Postgres = "postgres";

    /// <summary>Needs Debian's Chromium at /usr/bin/chromium, driven by Playwright.</summary>
    public const string Browser = "browser";
}
