using System.Text;
using System.Text.Json;
using Arbiter.Engine.Decisions;
using Arbiter.Engine.Json;
using Arbiter.Engine.Policies;

namespace Arbiter.Engine.Tests;

/// <summary>
/// <see cref="EvaluationBodyReader"/> against the strict reading (<see cref="StrictJson"/> and <see cref="RequestReader"/>):
/// what it accepts, it reads as the strict reader does; what the strict reader refuses, it never accepts.
/// </summary>
public sealed class EvaluationBodyReaderTests
{
    private const int MaxDepth = 32;
    private const int MaxItems = 1000;

    public static TheoryData<string> Accepted => new()
    {
        // the benchmark's items: an agent acting for a user
        """{"evaluations":[{"subject":{"type":"user","id":"u1"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"t1"},"context":{"agent":{"type":"agent","id":"a1"}}},{"subject":{"type":"agent","id":"a2"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"t2"}}]}""",
        // a single evaluation with properties, free-form context and the explanation asked for
        """{"subject":{"type":"user","id":"alice","properties":{"dept":"hr","tags":["a",{"x":1}]}},"action":{"name":"data.read","properties":{"fields":["salary"]}},"resource":{"type":"document","id":"doc-1","properties":{"server":"hr-mcp","labels":[]}},"context":{"agent":{"id":"hr-assistant"},"bulk":false,"time":"2026-12-02T07:00:00Z","nested":{"a":{"a":1},"b":[{"a":1},{"a":2}]}},"options":{"explain":true}}""",
        // defaults at the top, items naming only what differs, every semantic
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"agent.invoke"},"context":{"agent":{"type":"agent","id":"a1"}},"evaluations":[{"resource":{"type":"agent","id":"hr-assistant"}},{"resource":{"type":"agent","id":"general-assistant"},"context":{}}],"options":{"evaluations_semantic":"deny_on_first_deny","explain":false}}""",
        """{"evaluations":[{"subject":{"type":"user","id":"bob"},"action":{"name":"x"},"resource":{"type":"r","id":"1"}}],"options":{"evaluations_semantic":"permit_on_first_permit"}}""",
        """{"options":{"evaluations_semantic":"execute_all"},"evaluations":[],"subject":{"type":"user","id":"bob"},"action":{"name":"agent.invoke"},"resource":{"type":"agent","id":"hr-assistant"}}""",
        // escapes in values, non-ASCII, white space everywhere
        " \n{ \"subject\" : {\"type\":\"user\",\"id\":\"b\\u00f6b \\\"q\\\"\"},\"action\":{\"name\":\"tools\\/call\"},\"resource\":{\"type\":\"tool\",\"id\":\"t\u00e9\"} } \r\n",
        // the nulls a serializer writes for what it does not have: no properties, no context (an item's overrides the body's), no agent, no options
        """{"subject":{"type":"user","id":"bob","properties":null},"action":{"name":"a"},"resource":{"type":"r","id":"1","properties":null},"context":{"agent":null,"x":1},"options":null,"evaluations":null}""",
        """{"context":{"agent":{"id":"a1"}},"evaluations":[{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":null},{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"2"}}]}""",
        // a top level that only gives defaults, every item complete
        """{"subject":{"type":"user","id":"bob"},"evaluations":[{"action":{"name":"a"},"resource":{"type":"r","id":"1"}}]}""",
    };

    [Theory]
    [MemberData(nameof(Accepted))]
    public void TryRead_ShapesClientsSend_ReadAsTheStrictReaderReads(string body)
    {
        var read = EvaluationBodyReader.TryRead(Encoding.UTF8.GetBytes(body), MaxDepth, MaxItems);

        Assert.NotNull(read);
        AssertAsStrict(body, read);
    }

    public static TheoryData<string> LeftToTheStrictReader => new()
    {
        // what the strict reader refuses
        """{"subject":{"type":"user","id":"bob"},"subject":{"type":"user","id":"alice"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob","id":"alice"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"evaluations":[{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"x":1,"x":2}}]}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"deep":[{"k":1},{"k":1,"k":2}]}}""",
        """{"subject":{"type":"user","id":"bob","properties":{"p":{"q":1,"q":1}}},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a","properties":{"f":1,"f":1}},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}} x""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}{}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}""",
        """[{"subject":{"type":"user","id":"bob"}}]""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":""" + new string('[', 40) + new string(']', 40) + "}",
        // what the strict reader reads but names as a problem
        """{"subject":{"type":"user","id":""},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":7},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":null,"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob","properties":[1]},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"agent":{"type":"user","id":"a1"}}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"agent":{"type":"agent","id":""}}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"agent":"a1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":[]}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"options":{"explain":"true"}}""",
        """{"evaluations":[{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}],"options":{"evaluations_semantic":"first"}}""",
        """{"evaluations":{"subject":{"type":"user","id":"bob"}}}""",
        """{"evaluations":[{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}},7]}""",
        """{"evaluations":[{"subject":{"type":"user","id":"bob"},"action":{"name":"a"}}]}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"evaluations":[]}""",
        """{"subject":{"type":"user","id":{"id":"bob"}},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":{"type":"user"},"id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":{"name":"a"}},"resource":{"type":"r","id":"1"}}""",
        // what the strict reader reads and this one leaves to it: a member it does not know, a null, an escaped name
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"page":{"limit":1}}""",
        """{"subject":{"type":"user","id":"bob","extra":1},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a","properties":null},"resource":{"type":"r","id":"1"}}""",
        """{"\u0073ubject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""",
        """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"},"context":{"\u0061":1,"a":2}}""",
    };

    [Theory]
    [MemberData(nameof(LeftToTheStrictReader))]
    public void TryRead_AnythingElse_LeftToTheStrictReader(string body)
    {
        Assert.Null(EvaluationBodyReader.TryRead(Encoding.UTF8.GetBytes(body), MaxDepth, MaxItems));
    }

    [Fact]
    public void TryRead_MoreItemsThanTheBound_LeftToTheStrictReader()
    {
        var item = """{"subject":{"type":"user","id":"bob"},"action":{"name":"a"},"resource":{"type":"r","id":"1"}}""";
        var body = Encoding.UTF8.GetBytes("""{"evaluations":[""" + string.Join(",", Enumerable.Repeat(item, 3)) + "]}");

        Assert.NotNull(EvaluationBodyReader.TryRead(body, MaxDepth, maxItems: 3));
        Assert.Null(EvaluationBodyReader.TryRead(body, MaxDepth, maxItems: 2));
    }

    [Fact]
    public void TryRead_WellKnownNames_TheSharedStrings()
    {
        var read = EvaluationBodyReader.TryRead(
            """{"subject":{"type":"user","id":"u1"},"action":{"name":"tools/call"},"resource":{"type":"tool","id":"t1"},"options":{"evaluations_semantic":"deny_on_first_deny"}}"""u8, MaxDepth, MaxItems)!;

        Assert.Same(SubjectTypes.User, read.Evaluation!.Subject.Type);
        Assert.Same(ResourceTypes.Tool, read.Evaluation.Resource.Type);
        Assert.Same(WellKnownActions.ToolsCall, read.Evaluation.Action);
    }

    /// <summary>
    /// Seeded random bodies, most of the shape clients send, some with a fault of any kind (a repeated member at any
    /// depth, an unknown member, a null, an empty string, a mistyped value, an escaped name, broken syntax). Whenever the
    /// reader accepts one, the strict reading must accept it and read the same; and it must accept every clean one.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void TryRead_RandomBodies_AcceptsOnlyWhatTheStrictReaderReadsTheSame(int seed)
    {
        var random = new Random(seed);
        int accepted = 0, clean = 0, refusedByStrict = 0;
        for (var n = 0; n < 400; n++)
        {
            var body = new BodyWriter(random, faulty: n % 3 == 0);
            var text = body.Body();
            var read = EvaluationBodyReader.TryRead(Encoding.UTF8.GetBytes(text), MaxDepth, MaxItems);
            if (!body.Faulty)
            {
                clean++;
                if (read is not null)
                    accepted++;
            }
            if (StrictJson.TryParse(Encoding.UTF8.GetBytes(text), MaxDepth, out _) is not { } strict)
            {
                refusedByStrict++;
                Assert.True(read is null, $"accepted what the strict reader refuses: {text}");
                continue;
            }
            strict.Dispose();
            if (read is not null)
                AssertAsStrict(text, read);
        }
        Assert.Equal(clean, accepted);
        Assert.True(refusedByStrict > 20, $"only {refusedByStrict} bodies the strict reader refuses");
    }

    /// <summary>The strict reading of <paramref name="body"/>, as the evaluation handlers do it, equals <paramref name="read"/>.</summary>
    private static void AssertAsStrict(string body, EvaluationBody read)
    {
        using var document = StrictJson.TryParse(Encoding.UTF8.GetBytes(body), MaxDepth, out var invalid);
        Assert.True(document is not null, $"the strict reader refused it: {invalid}");
        var root = document.RootElement;
        Assert.Equal(JsonValueKind.Object, root.ValueKind);

        var single = RequestReader.Read(root, default, out var singleProblem);
        Assert.Equal(singleProblem is null, read.Evaluation is not null);
        if (single is not null)
            AssertSame(single, read.Evaluation!);

        var options = root.TryGetProperty("options", out var o) ? o : default;
        Assert.Equal(options.ValueKind == JsonValueKind.Object && options.TryGetProperty("explain", out var e) ? e.GetBoolean() : (bool?)null, read.Explain);
        Assert.Equal(options.ValueKind == JsonValueKind.Object && options.TryGetProperty("evaluations_semantic", out var s) ? s.GetString() : null, read.Semantic);

        var items = root.TryGetProperty("evaluations", out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray().ToList() : [];
        Assert.Equal(items.Count, read.Items.Count);
        var defaults = new BatchDefaults(root);
        for (var i = 0; i < items.Count; i++)
        {
            var strict = RequestReader.ReadInBatch(items[i], defaults, out var problem);
            Assert.Null(problem);
            AssertSame(strict!, read.Items[i]);
        }
    }

    private static void AssertSame(DecisionRequest expected, DecisionRequest actual)
    {
        Assert.Equal(expected.Subject.Type, actual.Subject.Type);
        Assert.Equal(expected.Subject.Id, actual.Subject.Id);
        Assert.Equal(Raw(expected.Subject.Properties), Raw(actual.Subject.Properties));
        Assert.Equal(expected.Action, actual.Action);
        Assert.Equal(Raw(expected.ActionProperties), Raw(actual.ActionProperties));
        Assert.Equal(expected.Resource.Type, actual.Resource.Type);
        Assert.Equal(expected.Resource.Id, actual.Resource.Id);
        Assert.Equal(Raw(expected.Resource.Properties), Raw(actual.Resource.Properties));
        Assert.Equal(expected.AgentId, actual.AgentId);
        Assert.Equal(Raw(expected.Context), Raw(actual.Context));
    }

    private static string? Raw(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? null : element.GetRawText();

    /// <summary>Writes a random evaluation body; with <c>faulty</c>, one place of it gets a fault of a random kind.</summary>
    private sealed class BodyWriter(Random random, bool faulty)
    {
        private readonly StringBuilder _text = new();
        private readonly int _faultAt = faulty ? random.Next(1, 12) : -1;
        private int _places;

        public bool Faulty { get; private set; }

        public string Body()
        {
            var members = new List<Action>();
            var batch = random.Next(3) > 0;
            // a batch's top level gives each member as a default, or not; its items then give what it does not
            var top = new[] { !batch || random.Next(2) == 0, !batch || random.Next(2) == 0, !batch || random.Next(2) == 0 };
            if (batch)
                members.Add(() => Items(top));
            if (top[0])
                members.Add(() => Entity("subject", "user"));
            if (top[1])
                members.Add(() => ActionMember());
            if (top[2])
                members.Add(() => Entity("resource", "tool"));
            if (random.Next(2) == 0)
                members.Add(() => Context());
            if (random.Next(3) == 0)
                members.Add(() => Options(batch));
            Object(members);
            if (_faultAt >= 0 && !Faulty)
            {
                // the fault's place was past the body's last: broken syntax after it instead
                Faulty = true;
                _text.Append(random.Next(3) switch { 0 => " x", 1 => "{}", _ => "," });
            }
            return _text.ToString();
        }

        /// <summary>Whether this place carries the fault.</summary>
        private bool Here()
        {
            if (Faulty || _places++ != _faultAt)
                return false;
            Faulty = true;
            return true;
        }

        private void Object(List<Action> members)
        {
            Shuffle(members);
            _text.Append('{');
            for (var i = 0; i < members.Count; i++)
            {
                if (i > 0)
                    _text.Append(',');
                members[i]();
            }
            _text.Append('}');
        }

        private void Name(string name)
        {
            if (Here())
            {
                switch (random.Next(3))
                {
                    case 0: // the name twice
                        _text.Append('"').Append(name).Append("\":1,");
                        break;
                    case 1: // a member no reader knows
                        _text.Append("\"extra\":{},");
                        break;
                    default: // the name escaped
                        _text.Append("\"\\u").Append(((int)name[0]).ToString("x4", System.Globalization.CultureInfo.InvariantCulture)).Append(name[1..]).Append("\":");
                        return;
                }
            }
            _text.Append('"').Append(name).Append("\":");
        }

        private void Text(string value)
        {
            if (Here())
            {
                _text.Append(random.Next(3) switch { 0 => "null", 1 => "\"\"", _ => "42" });
                return;
            }
            _text.Append('"').Append(value).Append('"');
        }

        private void Items(bool[] top)
        {
            Name("evaluations");
            _text.Append('[');
            var count = random.Next(1, 5);
            for (var i = 0; i < count; i++)
            {
                if (i > 0)
                    _text.Append(',');
                var members = new List<Action>();
                if (!top[0] || random.Next(2) == 0)
                    members.Add(() => Entity("subject", "user"));
                if (!top[1] || random.Next(2) == 0)
                    members.Add(() => ActionMember());
                if (!top[2] || random.Next(2) == 0)
                    members.Add(() => Entity("resource", random.Next(2) == 0 ? "tool" : "document"));
                if (random.Next(2) == 0)
                    members.Add(() => Context());
                Object(members);
            }
            _text.Append(']');
        }

        private void Entity(string name, string type)
        {
            Name(name);
            var members = new List<Action> { () => { Name("type"); Text(type); }, () => { Name("id"); Text(Id()); } };
            if (random.Next(3) == 0)
                members.Add(() => { Name("properties"); FreeObject(0); });
            else if (random.Next(6) == 0)
                members.Add(() => { Name("properties"); _text.Append("null"); });
            Object(members);
        }

        private void ActionMember()
        {
            Name("action");
            var members = new List<Action> { () => { Name("name"); Text(random.Next(2) == 0 ? "tools/call" : "data.read"); } };
            if (random.Next(3) == 0)
                members.Add(() => { Name("properties"); FreeObject(0); });
            Object(members);
        }

        private void Context()
        {
            Name("context");
            if (random.Next(6) == 0)
            {
                _text.Append("null");
                return;
            }
            var members = new List<Action>();
            if (random.Next(8) == 0)
                members.Add(() => { Name("agent"); _text.Append("null"); });
            else if (random.Next(3) > 0)
                members.Add(() =>
                {
                    Name("agent");
                    var agent = new List<Action> { () => { Name("id"); Text("a" + random.Next(100)); } };
                    if (random.Next(2) == 0)
                        agent.Add(() => { Name("type"); Text("agent"); });
                    Object(agent);
                });
            for (var i = random.Next(3); i > 0; i--)
            {
                var key = "k" + i;
                members.Add(() => { _text.Append('"').Append(key).Append("\":"); FreeValue(1); });
            }
            Object(members);
        }

        private void Options(bool batch)
        {
            Name("options");
            if (random.Next(6) == 0)
            {
                _text.Append("null");
                return;
            }
            var members = new List<Action>();
            if (random.Next(2) == 0)
                members.Add(() => { Name("explain"); _text.Append(random.Next(2) == 0 ? "true" : "false"); });
            if (batch && random.Next(2) == 0)
                members.Add(() => { Name("evaluations_semantic"); Text(random.Next(3) switch { 0 => "execute_all", 1 => "deny_on_first_deny", _ => "permit_on_first_permit" }); });
            Object(members);
        }

        /// <summary>A free-form object whose names come from a small set, so a repeated one is a real chance when faulty.</summary>
        private void FreeObject(int depth)
        {
            _text.Append('{');
            var count = random.Next(0, 4);
            var names = new[] { "a", "b", "c", "d" }.OrderBy(_ => random.Next()).Take(count).ToList();
            for (var i = 0; i < names.Count; i++)
            {
                if (i > 0)
                    _text.Append(',');
                _text.Append('"').Append(names[i]).Append("\":");
                FreeValue(depth + 1);
            }
            if (Here())
                _text.Append(names.Count > 0 ? $",\"{names[0]}\":0" : "\"a\":0,\"a\":1");
            _text.Append('}');
        }

        private void FreeValue(int depth)
        {
            switch (depth > 3 ? random.Next(4) : random.Next(6))
            {
                case 0: _text.Append(random.Next(1000)); break;
                case 1: _text.Append("\"s\\u00e9").Append(random.Next(10)).Append('"'); break;
                case 2: _text.Append(random.Next(2) == 0 ? "true" : "null"); break;
                case 3: _text.Append("1.5e3"); break;
                case 4: FreeObject(depth); break;
                default:
                    _text.Append('[');
                    for (var i = random.Next(3); i > 0; i--)
                    {
                        FreeValue(depth + 1);
                        if (i > 1)
                            _text.Append(',');
                    }
                    _text.Append(']');
                    break;
            }
        }

        private string Id() => random.Next(5) switch { 0 => "b\\u00f6b", 1 => "x\\\"y", _ => "u" + random.Next(100) };

        private void Shuffle(List<Action> list)
        {
            for (var i = list.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (list[i], list[j]) = (list[j], list[i]);
            }
        }
    }
}
