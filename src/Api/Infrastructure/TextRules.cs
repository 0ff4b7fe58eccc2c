namespace TraceReplay.Api.Infrastructure;

/// <summary>The rules every name and id a client sends must follow, with the error naming the field.</summary>
public static class TextRules
{
    /// <summary>Longest id (trace, span) accepted.</summary>
    public const int MaxIdLength = 256;

    /// <summary>Null when <paramref name="value"/> is fine: present when required, not blank, at most <paramref name="maxLength"/> characters, no control characters.</summary>
    public static string? Check(string field, string? value, int maxLength, bool required = true) => value switch
    {
        null => required ? $"{field} is required." : null,
        _ when string.IsNullOrWhiteSpace(value) => $"{field} must not be blank.",
        _ when value.Length > maxLength => $"{field} must be at most {maxLength} characters; got {value.Length}.",
        _ when RequestHygiene.HasControlCharacters(value) => $"{field} must not contain control or line-separator characters.",
        _ => null,
    };

    /// <summary>An id: as <see cref="Check"/> with <see cref="MaxIdLength"/>.</summary>
    public static string? CheckId(string field, string? value, bool required = true) => Check(field, value, MaxIdLength, required);
}
