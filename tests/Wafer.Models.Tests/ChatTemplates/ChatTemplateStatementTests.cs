using Xunit;

namespace Wafer.Models.Tests.ChatTemplates;

public sealed class ChatTemplateStatementTests
{
    [Theory]
    [InlineData("{% if true %}\n  x\n{% endif %}\n", "  x\n")]
    [InlineData("  {% if true %}a{% endif %}", "a")]
    [InlineData("line\n    {% if true %}a{% endif %}", "line\na")]
    [InlineData("a  {{- 'b' -}}  c", "abc")]
    [InlineData("a \n {%- if true -%} \n b {%- endif %}", "ab")]
    [InlineData("  {%+ if true %}a{% endif %}", "  a")]
    [InlineData("{% if true +%}\nx{% endif %}", "\nx")]
    [InlineData("a {# note #}\nb", "a b")]
    [InlineData("{{ 'x' }}\ny", "x\ny")]
    public void Render_WhitespaceControl_MatchesTrimAndLstripBlocks(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));

    [Theory]
    [InlineData("{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.revindex }}{{ loop.length }}|{% endfor %}",
        "10TrueFalse33|21FalseFalse23|32FalseTrue13|")]
    [InlineData("{% for x in [1,2,3] %}{{ loop.previtem is defined }}{{ loop.nextitem | default('-') }};{% endfor %}", "False2;True3;True-;")]
    [InlineData("{% for x in [] %}a{% else %}empty{% endfor %}", "empty")]
    [InlineData("{% for x in [1,2,3,4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}", "2/2 4/2 ")]
    [InlineData("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=2;")]
    [InlineData("{% for x in [1,2,3,4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "13")]
    [InlineData("{% for c in 'ab' %}{{ c }}.{% endfor %}", "a.b.")]
    [InlineData("{% for x in undefined_name %}x{% endfor %}done", "done")]
    [InlineData("{% for x in [1,2] %}{{ loop.cycle('odd', 'even') }} {% endfor %}", "odd even ")]
    public void Render_ForLoop_ExposesLoopStateAndFilters(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));

    [Theory]
    [InlineData("{% set ns = namespace(n=0) %}{% for i in range(4) %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}", "6")]
    [InlineData("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}", "1")]
    [InlineData("{% set a, b = [1, 2] %}{{ b }}{{ a }}", "21")]
    [InlineData("{% set x %}hi {{ 1 + 1 }}{% endset %}[{{ x }}]", "[hi 2]")]
    [InlineData("{% set x | upper %}hi{% endset %}{{ x }}", "HI")]
    [InlineData("{% if false %}a{% elif 1 > 2 %}b{% elif 'x' %}c{% else %}d{% endif %}", "c")]
    [InlineData("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', greeting='Hi') }}", "Hello, Ann! Hi, Bo!")]
    [InlineData("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}x{% endcall %}", "<b>x</b>")]
    [InlineData("{% macro each(items) %}{% for i in items %}{{ caller(i) }}{% endfor %}{% endmacro %}{% call(v) each([1,2]) %}[{{ v }}]{% endcall %}", "[1][2]")]
    [InlineData("{% filter upper %}abc{{ 'd' }}{% endfilter %}", "ABCD")]
    [InlineData("{% raw %}{{ x }}{% if %}{% endraw %}", "{{ x }}{% if %}")]
    [InlineData("{% generation %}a{% endgeneration %}", "a")]
    [InlineData("{% set items = [] %}{% do items.append(1) %}{{ items }}", "[1]")]
    public void Render_Statements_BehaveLikeJinja(string source, string expected) =>
        Assert.Equal(expected, TemplateHarness.Render(source));

    [Fact]
    public void Render_StrftimeNow_UsesInjectedDate() =>
        Assert.Equal("2026-11-23 23 Nov 2026 Monday 09:05", TemplateHarness.Render("{{ strftime_now('%Y-%m-%d %d %b %Y %A %H:%M') }}"));

    [Fact]
    public void Render_DateVariables_FollowLlamaCppFormats() =>
        Assert.Equal("23 Nov 2026|Nov 23 2026", TemplateHarness.Render("{{ date_string }}|{{ datetime }}"));
}
