using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TraceReplay.Grains.Llm;

namespace TraceReplay.Grains.Replays;

/// <summary>
/// Carries replayed LLM answers into the recorded outputs of the spans above them, so that a replay trace's final
/// answer is the new model's and not a copied original.
/// </summary>
/// <remarks>
/// The rule: a recorded output <em>contains</em> a replayed LLM span's recorded answer when the answer is the whole
/// output; or, inside a JSON output, any value equal to the answer message, to its tool calls, to its text, or (for
/// an answer whose text is a JSON object or array) to that parsed value; or, in a text output (a JSON string at the
/// top), a substring equal to the answer's text. Each occurrence is replaced by the new answer in the same form
/// (message by message, tool calls by tool calls, text by text, parsed JSON by the new text parsed). Occurrences of
/// several answers in one text are replaced in one pass, longest match first, so one substitution never feeds another.
/// </remarks>
public static class AnswerPropagation
{
    /// <summary>A replayed LLM span's recorded answer and its new one (in the recorded shape).</summary>
    public sealed record Answer(JsonNode Recorded, JsonNode? Replayed);

    /// <summary>The output with every occurrence of an answer replaced, or null when none occurs in it.</summary>
    public static JsonNode? Substitute(JsonNode recordedOutput, IReadOnlyList<Answer> answers)
    {
        var forms = answers.SelectMany(Forms).ToList();
        if (forms.Count == 0)
        {
            return null;
        }

        var changed = false;
        var result = Rewrite(recordedOutput.DeepClone(), forms, topLevel: true, ref changed);
        return changed ? result : null;
    }

    private sealed record Form(JsonNode Old, Func<JsonNode?> New, bool IsText);

    private static IEnumerable<Form> Forms(Answer answer)
    {
        var recorded = answer.Recorded;
        var replayed = answer.Replayed;
        var newText = ChatPayload.AnswerText(replayed);
        if (recorded is JsonObject message)
        {
            yield return new Form(message, () => replayed is JsonObject ? replayed.DeepClone() : Message(newText), false);
            if (message["tool_calls"] is JsonArray { Count: > 0 } calls)
            {
                yield return new Form(calls, () => (replayed as JsonObject)?["tool_calls"]?.DeepClone() ?? new JsonArray(), false);
            }
        }

        var oldText = ChatPayload.AnswerText(recorded);
        if (oldText.Length > 0)
        {
            yield return new Form(JsonValue.Create(oldText), () => JsonValue.Create(newText), true);
            if (ChatPayload.ParseStructured(oldText) is { } parsedOld)
            {
                yield return new Form(parsedOld, () => ChatPayload.ParseStructured(newText) ?? JsonValue.Create(newText), false);
            }
        }
    }

    private static JsonObject Message(string text) => new() { ["role"] = "assistant", ["content"] = text };

    private static JsonNode? Rewrite(JsonNode? node, List<Form> forms, bool topLevel, ref bool changed)
    {
        if (node is null)
        {
            return null;
        }

        foreach (var form in forms)
        {
            if (JsonNode.DeepEquals(node, form.Old))
            {
                changed = true;
                var replacement = form.New();
                // A recorded text answered by a message keeps the text form.
                return node is JsonValue && replacement is JsonObject m ? JsonValue.Create(ChatPayload.Text(m)) : replacement;
            }
        }

        switch (node)
        {
            case JsonObject obj:
                foreach (var key in obj.Select(p => p.Key).ToList())
                {
                    var child = obj[key];
                    var rewritten = Rewrite(child, forms, topLevel: false, ref changed);
                    if (!ReferenceEquals(rewritten, child))
                    {
                        obj[key] = rewritten?.Parent is null ? rewritten : rewritten.DeepClone();
                    }
                }

                return obj;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    var child = array[i];
                    var rewritten = Rewrite(child, forms, topLevel: false, ref changed);
                    if (!ReferenceEquals(rewritten, child))
                    {
                        array[i] = rewritten?.Parent is null ? rewritten : rewritten.DeepClone();
                    }
                }

                return array;
            case JsonValue value when topLevel && value.GetValueKind() == JsonValueKind.String:
                var text = value.GetValue<string>();
                var replaced = ReplaceTexts(text, forms.Where(f => f.IsText).ToList());
                if (replaced != text)
                {
                    changed = true;
                    return JsonValue.Create(replaced);
                }

                return node;
            default:
                return node;
        }
    }

    /// <summary>Every occurrence of every answer text, left to right, the longest where several start together.</summary>
    private static string ReplaceTexts(string text, List<Form> texts)
    {
        var candidates = texts
            .Select(f => (Old: f.Old.GetValue<string>(), f.New))
            .Where(t => t.Old.Length > 0)
            .OrderByDescending(t => t.Old.Length)
            .ToList();
        var result = new StringBuilder(text.Length);
        var i = 0;
        var any = false;
        while (i < text.Length)
        {
            var match = candidates.FirstOrDefault(c => string.CompareOrdinal(text, i, c.Old, 0, c.Old.Length) == 0);
            if (match.Old is null)
            {
                result.Append(text[i]);
                i++;
                continue;
            }

            any = true;
            result.Append(ChatPayload.AnswerText(match.New()));
            i += match.Old.Length;
        }

        return any ? result.ToString() : text;
    }
}
