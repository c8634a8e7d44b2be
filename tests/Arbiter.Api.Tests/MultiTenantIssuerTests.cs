using System.Net;
using Arbiter.Api.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace Arbiter.Api.Tests;

/// <summary>
/// A multi-tenant deployment: the metadata's issuer is Entra's template (<c>.../{tenantid}/v2.0</c>). Each tenant's
/// token carries its own issuer; a token whose issuer names one tenant and whose <c>tid</c> names another is refused.
/// </summary>
public sealed class MultiTenantIssuerTests(MultiTenantIssuerTests.Server server) : IClassFixture<MultiTenantIssuerTests.Server>
{
    public const string Template = "https://login.arbiter.test/{tenantid}/v2.0";

    private static string IssuerOf(string tenant) => Template.Replace("{tenantid}", tenant, StringComparison.Ordinal);

    private readonly HttpClient _client = server.Client;

    [Fact]
    public async Task Evaluate_EachTenantWithItsOwnIssuer_Accepted()
    {
        var a = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
            bearer: server.Tokens.Mint(tenant: TestTokens.TenantA, issuer: IssuerOf(TestTokens.TenantA)));
        var b = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
            bearer: server.Tokens.Mint(tenant: TestTokens.TenantB, issuer: IssuerOf(TestTokens.TenantB)));

        Assert.Equal(HttpStatusCode.OK, a.Status);
        Assert.True(a.Decision());
        Assert.Equal(HttpStatusCode.OK, b.Status);
        Assert.False(b.Decision()); // tenant B holds nothing of tenant A's
    }

    [Fact]
    public async Task Evaluate_IssuerOfOneTenantWithTidOfAnother_401()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
            bearer: server.Tokens.Mint(tenant: TestTokens.TenantA, issuer: IssuerOf(TestTokens.TenantB)));

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    [Fact]
    public async Task Evaluate_TemplateItselfAsIssuer_401()
    {
        var reply = await _client.PostAsync(Pdp.Evaluation, Pdp.Request("alice", "agent.invoke", "agent", "hr-assistant"),
            bearer: server.Tokens.Mint(tenant: TestTokens.TenantA, issuer: Template));

        Assert.Equal(HttpStatusCode.Unauthorized, reply.Status);
    }

    /// <summary>Entra ID mode; the demo data seeded into tenant A; metadata with the templated issuer.</summary>
    public sealed class Server : ArbiterServerFixture
    {
        public TestTokens Tokens { get; } = new();

        public override string SeedTenant => TestTokens.TenantA;

        protected override IDictionary<string, string?> Settings()
        {
            var settings = base.Settings();
            settings["Auth:Mode"] = "EntraId";
            settings["Auth:Authority"] = "https://login.arbiter.test/organizations/v2.0";
            settings["Auth:Audience"] = TestTokens.Audience;
            return settings;
        }

        protected override void ConfigureServices(IServiceCollection services)
        {
            var metadata = new OpenIdConnectConfiguration { Issuer = Template };
            metadata.SigningKeys.Add(Tokens.SigningKey);
            services.RemoveAll<BaseConfigurationManager>();
            services.AddSingleton<BaseConfigurationManager>(new StaticConfigurationManager<OpenIdConnectConfiguration>(metadata));
        }

        protected override void Disposed() => Tokens.Dispose();
    }
}
