using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class ChatTemplateExpressionTests
{
    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 7 / 2 }} {{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }}", "3 -4 1 2 1024 3.5 7 9")]
    [InlineData("{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 3 * 1.5 }} {{ 10 / 5 }}", "1.0 0.30000000000000004 4.5 2.0")]
    [InlineData("{{ 'a' ~ 1 ~ none ~ true }} {{ 'ab' * 2 }} {{ [1] + [2] }}", "a1NoneTrue abab [1, 2]")]
    [InlineData("{{ [1,2,3,4][::-1] }} {{ 'hello'[1:3] }} {{ [1,2,3,4][-2:] }} {{ 'abc'[-1] }} {{ [1,2,3,4,5][::2] }}", "[4, 3, 2, 1] el [3, 4] c [1, 3, 5]")]
    [InlineData("{{ 'b' in 'abc' }} {{ 2 not in [1, 3] }} {{ 'k' in {'k': 1} }} {{ 'x' in undefined_name }}", "True True True False")]
    [InlineData("{{ 'y' if 1 < 2 else 'n' }} {{ 'y' if false }}| {{ 0 or 'b' }} {{ 1 and 'c' }} {{ not 0 }}", "y | b c True")]
    [InlineData("{{ {'a': 1, 'b': [true, none]} }} {{ (1, 'x') }} {{ \"it's\" }}", "{'a': 1, 'b': [True, None]} [1, 'x'] it's")]
    [InlineData("{{ [\"it's\"] }} {{ ['a\\nb'] }}", "[\"it's\"] ['a\\nb']")]
    [InlineData("{{ 1 == 1.0 }} {{ 'a' < 'b' }} {{ [1, 2] == [1, 2] }} {{ none == none }} {{ 2 >= 3 }}", "True True True True False")]
    [InlineData("{{ 'a' 'b' }} {{ \"\\u00e9\\t|\" }}", "ab é\t|")]
    public void Render_Expressions_FollowPythonSemantics(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));

    [Theory]
    [InlineData("{{ x is defined }} {{ none is none }} {{ 'a' is string }} {{ 3 is odd }} {{ 4 is even }} {{ 4 is divisibleby 2 }}", "False True True True True True")]
    [InlineData("{{ {} is mapping }} {{ [] is iterable }} {{ [] is sequence }} {{ 1 is number }} {{ 1.5 is integer }} {{ 1.5 is float }}", "True True True True False True")]
    [InlineData("{{ true is boolean }} {{ true is true }} {{ 0 is false }} {{ x is undefined }} {{ 'a' is not none }}", "True True False True True")]
    [InlineData("{{ 3 is gt(2) }} {{ 3 is lt 2 }} {{ 2 is ge 2 }} {{ 2 is le 1 }} {{ 'a' is not equalto 'b' }} {{ 1 is eq 1 }} {{ 1 is ne 2 }}", "True False True False True True True")]
    [InlineData("{{ not x is defined }} {{ x is not defined and true }}", "True True")]
    public void Render_Tests_ReturnJinjaResults(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));

    [Theory]
    [InlineData("{{ undefined_name }}|{{ undefined_name.attr }}|{{ undefined_name['k'] }}|{{ undefined_name | length }}", "|||0")]
    [InlineData("{% if undefined_name %}t{% else %}f{% endif %}{% if undefined_name.attr is defined %}t{% else %}f{% endif %}", "ff")]
    [InlineData("{{ 'x' + undefined_name }}", "x")]
    [InlineData("{{ m.role }} {{ m['content'] }} {{ m.missing is defined }} {{ m.get('missing', 'd') }} {{ m.get('role') }}", "user hi False d user")]
    public void Render_UndefinedAndMappings_BehaveLikeDefaultUndefined(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source, "{\"m\": {\"role\": \"user\", \"content\": \"hi\"}}"));

    [Theory]
    [InlineData("{{ ' a b '.strip() }}|{{ 'xxaxx'.strip('x') }}|{{ '--a'.lstrip('-') }}|{{ 'a\\n'.rstrip() }}", "a b|a|a|a")]
    [InlineData("{{ 'a,b,,c'.split(',') }} {{ 'a b  c'.split() }} {{ 'a,b,c'.rsplit(',', 1) }} {{ 'a,b,c'.split(',', 1) }}", "['a', 'b', '', 'c'] ['a', 'b', 'c'] ['a,b', 'c'] ['a', 'b,c']")]
    [InlineData("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith(('x', 'c')) }} {{ 'aXa'.replace('a', 'b') }} {{ 'abcb'.find('b') }} {{ 'abcb'.count('b') }}", "True True bXb 1 2")]
    [InlineData("{{ 'hello world'.title() }} {{ 'ABC'.lower() }} {{ 'abc'.upper() }} {{ '{} and {name}'.format(1, name='x') }}", "Hello World abc ABC 1 and x")]
    [InlineData("{% set l = [1, 2, 3] %}{{ l.pop() }} {{ l.pop(0) }} {{ l }} {% set _ = l.append(5) %}{{ l.index(5) }}", "3 1 [2] 1")]
    [InlineData("{% set d = {'a': 1} %}{% set _ = d.update({'b': 2}) %}{{ d.keys() }} {{ d.values() }} {{ d.items() }}", "['a', 'b'] [1, 2] [['a', 1], ['b', 2]]")]
    public void Render_Methods_MatchPythonStrListDict(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));
}
