using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class ChatTemplateFilterTests
{
    [Theory]
    [InlineData("{{ {'a': [1, 'x'], 'b': none, 'c': 1.5} | tojson }}", "{\"a\": [1, \"x\"], \"b\": null, \"c\": 1.5}")]
    [InlineData("{{ {'a': [1, 'x'], 'b': {}} | tojson(indent=2) }}", "{\n  \"a\": [\n    1,\n    \"x\"\n  ],\n  \"b\": {}\n}")]
    [InlineData("{{ {'b': 1, 'a': 2} | tojson(separators=(',', ':'), sort_keys=true) }}", "{\"a\":2,\"b\":1}")]
    [InlineData("{{ 'é\"\\n<' | tojson }}", "\"é\\\"\\n<\"")]
    public void ToJson_Arguments_MatchPythonJsonDumps(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));

    [Theory]
    [InlineData("{{ ['a', 'b'] | join(', ') }}|{{ [1, 2] | join }}|{{ users | map(attribute='name') | join('/') }}", "a, b|12|ann/bob/cy")]
    [InlineData("{{ users | selectattr('admin') | map(attribute='name') | list }}", "['ann']")]
    [InlineData("{{ users | selectattr('name', 'equalto', 'bob') | list | length }} {{ users | rejectattr('admin') | list | count }}", "1 2")]
    [InlineData("{{ [1, 2, 3, 4] | select('odd') | list }} {{ ['a', 'b'] | reject('equalto', 'a') | list }}", "[1, 3] ['b']")]
    [InlineData("{{ ['a', 'b'] | map('upper') | list }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [1, 2] | sort(reverse=true) }}", "['A', 'B'] [1, 2, 3] ['A', 'b', 'c'] [2, 1]")]
    [InlineData("{{ users | sort(attribute='name', reverse=true) | map(attribute='name') | first }} {{ [1, 2, 1, 3] | unique | list }} {{ [1, 2] | last }}", "cy [1, 2, 3] 2")]
    [InlineData("{{ {'b': 1, 'a': 2} | dictsort }} {{ {'b': 1, 'a': 2} | items | list }} {{ [1, 2] | reverse | list }} {{ 'abc' | reverse }}", "[['a', 2], ['b', 1]] [['b', 1], ['a', 2]] [2, 1] cba")]
    [InlineData("{{ [1, 2, 3] | batch(2) | list }} {{ [3, 1, 2] | min }} {{ [3, 1, 2] | max }} {{ [1, 2] | sum }}", "[[1, 2], [3]] 1 3 3")]
    public void SequenceFilters_OnListsAndDicts_MatchJinja(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source, "{\"users\": [{\"name\": \"ann\", \"admin\": true}, {\"name\": \"bob\", \"admin\": false}, {\"name\": \"cy\"}]}"));

    [Theory]
    [InlineData("{{ missing | default('d') }} {{ none | default('n') }} {{ '' | default('e', true) }} {{ 'v' | d('x') }}", "d n e v")]
    [InlineData("{{ '  a  ' | trim }}|{{ 'abc' | length }}|{{ 'aBc' | upper }}|{{ 'aBc' | lower }}|{{ 'hello world' | title }}|{{ 'hELLO' | capitalize }}", "a|3|ABC|abc|Hello World|Hello")]
    [InlineData("{{ 'a-b' | replace('-', '+') }} {{ '3' | int + 1 }} {{ 'x' | int }} {{ 2.7 | int }} {{ '1.5' | float }} {{ 2 | float }}", "a+b 4 0 2 1.5 2.0")]
    [InlineData("{{ 2.567 | round(2) }} {{ 2.5 | round }} {{ -3 | abs }} {{ 12 | string ~ 'x' }} {{ 'a b  c' | wordcount }}", "2.57 3.0 3 12x 3")]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}", "a\n  b\n\n  c|  a\n  b")]
    [InlineData("{{ '<a href=\"x\">&' | escape }} {{ '<b>' | safe }} {{ '{\"k\": [1, 2]}' | from_json }}", "&lt;a href=&#34;x&#34;&gt;&amp; <b> {'k': [1, 2]}")]
    public void ScalarFilters_OnStringsAndNumbers_MatchJinja(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));
}
