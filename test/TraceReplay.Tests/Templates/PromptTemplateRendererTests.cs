using TraceReplay.Grains.Templates;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Templates;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class PromptTemplateRendererTests
{
    [Fact]
    public void FindVariablesListsEveryNameOnceInOrderOfFirstAppearance()
    {
        var variables = PromptTemplateRenderer.FindVariables(
            "Hi {{customer_name}}, {{{raw}}} {{& amp }} {{#orders}}{{id}} {{customer_name}}{{/orders}}{{^vip}}no{{/vip}} {{account.tier}} {{! note }}{{raw}}");

        Assert.Equal(["customer_name", "raw", "amp", "orders", "id", "vip", "account.tier"], variables);
    }

    [Fact]
    public void FindVariablesIgnoresTheImplicitIterator()
    {
        Assert.Equal(["items"], PromptTemplateRenderer.FindVariables("{{#items}}- {{.}}\n{{/items}}"));
    }

    [Fact]
    public void RenderReadsNoMemberOfAValueByReflection()
    {
        var result = PromptTemplateRenderer.Render(
            "{{#name}}{{GetType}}{{#GetType}}{{#Assembly}}{{Location}}{{/Assembly}}{{/GetType}}{{/name}}",
            """{"name": "x", "GetType": "t", "Assembly": "a", "Location": "l"}""");

        // Inside {{#name}} the string "x" has no members: every name resolves in the JSON variables.
        Assert.Null(result.Error);
        Assert.Equal("tl", result.Text);
    }

    [Fact]
    public void RenderRefusesAMemberThatOnlyReflectionCouldFind()
    {
        var result = PromptTemplateRenderer.Render("{{#name}}{{Length}}{{/name}}", """{"name": "secret"}""");

        Assert.Null(result.Text);
        Assert.Equal("missing variable 'Length'", result.Error);
    }

    [Fact]
    public void APromptThatWouldRenderLongerThanTheCapIsRefused()
    {
        var items = string.Join(",", Enumerable.Range(0, 100));

        var result = PromptTemplateRenderer.Render("{{#xs}}{{#xs}}{{#xs}}0123456789{{/xs}}{{/xs}}{{/xs}}", $$"""{"xs": [{{items}}]}""");

        Assert.Null(result.Text);
        Assert.Contains($"longer than {PromptTemplateRenderer.MaxRenderedLength} characters", result.Error);
    }

    [Fact]
    public void NestedSectionsThatWriteNothingAreBoundedToo()
    {
        var items = string.Join(",", Enumerable.Range(0, 100));

        // 100^4 section items and not one character written: the walk itself is what must stop.
        var result = PromptTemplateRenderer.Render("{{#xs}}{{#xs}}{{#xs}}{{#xs}}{{/xs}}{{/xs}}{{/xs}}{{/xs}}", $$"""{"xs": [{{items}}]}""");

        Assert.Null(result.Text);
        Assert.Contains($"longer than {PromptTemplateRenderer.MaxRenderedLength} characters", result.Error);
    }

    [Fact]
    public void RenderLeavesHtmlSpecialCharactersAsTheyAre()
    {
        var result = PromptTemplateRenderer.Render("Q: {{question}} / {{{question}}}", """{"question": "<b>Tom & \"Jerry\"</b> it's"}""");

        Assert.Null(result.Error);
        Assert.Equal("Q: <b>Tom & \"Jerry\"</b> it's / <b>Tom & \"Jerry\"</b> it's", result.Text);
    }

    [Fact]
    public void RenderRefusesAMissingVariableAndNamesIt()
    {
        var result = PromptTemplateRenderer.Render("Dear {{customer_name}}, about {{topic}}", """{"topic": "billing"}""");

        Assert.Null(result.Text);
        Assert.Equal("missing variable 'customer_name'", result.Error);
    }

    [Fact]
    public void RenderTreatsANullVariableAsMissing()
    {
        var result = PromptTemplateRenderer.Render("Dear {{customer_name}}", """{"customer_name": null}""");

        Assert.Equal("missing variable 'customer_name'", result.Error);
    }

    [Fact]
    public void RenderWithoutVariablesRefusesATemplateThatNeedsThem()
    {
        Assert.Equal("missing variable 'x'", PromptTemplateRenderer.Render("{{x}}", (string?)null).Error);
    }

    [Fact]
    public void RenderRefusesAMissingNameInsideASectionItem()
    {
        var result = PromptTemplateRenderer.Render("{{#orders}}{{id}}: {{status}}\n{{/orders}}", """{"orders": [{"id": 1, "status": "sent"}, {"id": 2}]}""");

        Assert.Equal("missing variable 'status'", result.Error);
    }

    [Fact]
    public void RenderRefusesAMissingDottedName()
    {
        var result = PromptTemplateRenderer.Render("{{account.tier}}", """{"account": {"id": 7}}""");

        Assert.Equal("missing variable 'account.tier'", result.Error);
    }

    [Fact]
    public void RenderWritesNumbersBooleansArraysAndObjects()
    {
        var result = PromptTemplateRenderer.Render(
            "{{count}} {{price}} {{ratio}} {{vip}} {{tags}} {{account}} {{account.tier}}",
            """{"count": 3, "price": 1.50, "ratio": 1e300, "vip": false, "tags": ["a", "b"], "account": {"tier": "gold"}}""");

        Assert.Null(result.Error);
        Assert.Equal("""3 1.50 1E+300 false ["a", "b"] {"tier": "gold"} gold""", result.Text);
    }

    [Fact]
    public void RenderRepeatsASectionForEachItemAndUsesOuterNamesInside()
    {
        var result = PromptTemplateRenderer.Render(
            "{{#orders}}{{customer}}#{{id}};{{/orders}}",
            """{"customer": "ann", "orders": [{"id": 1}, {"id": 2}]}""");

        Assert.Equal("ann#1;ann#2;", result.Text);
    }

    [Fact]
    public void RenderShowsAnInvertedSectionOnlyWhenTheValueIsFalsy()
    {
        const string template = "{{#vip}}VIP {{/vip}}{{^vip}}regular {{/vip}}{{#notes}}{{.}},{{/notes}}{{^notes}}no notes{{/notes}}";

        Assert.Equal("VIP a,b,", PromptTemplateRenderer.Render(template, """{"vip": true, "notes": ["a", "b"]}""").Text);
        Assert.Equal("regular no notes", PromptTemplateRenderer.Render(template, """{"vip": false, "notes": []}""").Text);
    }

    [Fact]
    public void RenderDoesNotRequireNamesInsideASectionThatIsNotShown()
    {
        var result = PromptTemplateRenderer.Render("{{#vip}}Dear {{title}}{{/vip}}done", """{"vip": false}""");

        Assert.Equal("done", result.Text);
    }

    [Fact]
    public void RenderRefusesVariablesThatAreNotAJsonObject()
    {
        Assert.Equal("variables must be a JSON object, not array", PromptTemplateRenderer.Render("x", "[1]").Error);
        Assert.StartsWith("variables are not valid JSON", PromptTemplateRenderer.Render("x", "{nope").Error);
    }

    [Theory]
    [InlineData("{{#orders}}open", "Unclosed Block 'orders'")]
    [InlineData("{{/orders}}", "Unopened Block 'orders'")]
    [InlineData("Hello {{name", "Unclosed Tag")]
    public void ValidateReportsAMalformedTemplate(string content, string expected)
    {
        var error = PromptTemplateRenderer.Validate(content);

        Assert.NotNull(error);
        Assert.StartsWith("malformed template:", error);
        Assert.Contains(expected, error);
        Assert.Equal(error, PromptTemplateRenderer.Render(content, "{}").Error);
        Assert.Throws<FormatException>(() => PromptTemplateRenderer.FindVariables(content));
    }

    [Fact]
    public void ValidateRefusesPartialsAndEmptyTags()
    {
        Assert.StartsWith("partials are not supported", PromptTemplateRenderer.Validate("{{> header}} hi"));
        Assert.StartsWith("empty tag", PromptTemplateRenderer.Validate("hi {{ }}"));
    }

    [Fact]
    public void ValidateAcceptsAWellFormedTemplate()
    {
        Assert.Null(PromptTemplateRenderer.Validate("You are {{role}}.{{#rules}}\n- {{.}}{{/rules}} {{! comment }}"));
    }
}
