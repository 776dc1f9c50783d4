using System.Security.Cryptography;
using System.Text;
using NUnit.Framework;
using Tunmux.Contracts;
using Tunmux.Fakes.AirVpn;
using Tunmux.Plugins.AirVpn.Api;
using Tunmux.Plugins.AirVpn.Verbs;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Tests;

/// <summary>Pieces checked on their own: the request seal, protocol names, page scraping, keys.</summary>
public sealed class UnitTests
{
    [Test]
    public void A_sealed_request_opens_with_the_server_key_into_assoc_lines()
    {
        using var server = RSA.Create(2048);
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, server.ExportSubjectPublicKeyInfoPem());
            using var sealer = RequestSealer.Create(file);
            var sealedRequest = sealer.Seal([KeyValuePair.Create("act", "user"), KeyValuePair.Create("login", "ü-user")]);

            var sParams = Assoc.Decode(server.Decrypt(Convert.FromBase64String(sealedRequest.S), RSAEncryptionPadding.Pkcs1));
            Assert.That(sParams["key"], Has.Length.EqualTo(32));
            Assert.That(sParams["iv"], Has.Length.EqualTo(16));
            using var aes = Aes.Create();
            aes.Key = sParams["key"];
            var plain = aes.DecryptCbc(Convert.FromBase64String(sealedRequest.D), sParams["iv"], PaddingMode.PKCS7);
            Assert.That(Encoding.UTF8.GetString(plain), Is.EqualTo("YWN0:dXNlcg==\nbG9naW4=:w7wtdXNlcg==\n"));

            var answer = aes.EncryptCbc(Encoding.UTF8.GetBytes("<user login=\"x\"/>"), sParams["iv"], PaddingMode.PKCS7);
            Assert.That(Encoding.UTF8.GetString(sealedRequest.Open(answer)), Is.EqualTo("<user login=\"x\"/>"));

            var second = sealer.Seal([KeyValuePair.Create("act", "user")]);
            Assert.That(second.S, Is.Not.EqualTo(sealedRequest.S), "a fresh AES session per request");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Test]
    public void The_built_in_key_is_airvpns_rsa_4096()
    {
        using var sealer = RequestSealer.Create(null);
        var s = Convert.FromBase64String(sealer.Seal([KeyValuePair.Create("act", "manifest")]).S);
        Assert.That(s, Has.Length.EqualTo(512));
    }

    [TestCase("wg", "wireguard_3_udp_1637", "wg-1637")]
    [TestCase("wg-51820", "wireguard_3_udp_51820", "wg-51820")]
    [TestCase("WireGuard-1637", "wireguard_3_udp_1637", "wg-1637")]
    [TestCase("openvpn-udp-443", "openvpn_1_udp_443", "openvpn-udp-443")]
    [TestCase("openvpn-TCP-80", "openvpn_1_tcp_80", "openvpn-tcp-80")]
    [TestCase("wireguard_1_udp_1637", "wireguard_1_udp_1637", "wg-1637")]
    public void Protocol_names_map_to_generator_values(string input, string generator, string shortName)
    {
        var p = ProtocolSpec.Parse(input);
        Assert.That((p.GeneratorValue, p.ShortName), Is.EqualTo((generator, shortName)));
    }

    [TestCase("wg-0")]
    [TestCase("wg-65536")]
    [TestCase("openvpn-443")]
    [TestCase("openvpn-udp-")]
    [TestCase("ssh-22")]
    [TestCase("")]
    public void Bad_protocol_names_are_refused(string input) =>
        Assert.Throws<ProviderException>(() => ProtocolSpec.Parse(input));

    [Test]
    public void Scraper_reads_form_fields_tokens_and_session_cards()
    {
        const string page = """
            <form><input type='hidden' value="abc&amp;1" name="csrfKey"><input name="ref" type="hidden" value=""></form>
            <div class="x" id="eui_data" data-json="{&quot;ecsrf&quot;:&quot;tok123&quot;,&quot;n&quot;:1}"></div>
            """;
        Assert.That(HtmlScraper.InputValue(page, "csrfKey"), Is.EqualTo("abc&1"));
        Assert.That(HtmlScraper.InputValue(page, "ref"), Is.Empty);
        Assert.That(HtmlScraper.InputValue(page, "missing"), Is.Null);
        Assert.That(HtmlScraper.Ecsrf(page), Is.EqualTo("tok123"));
        Assert.That(HtmlScraper.Ecsrf("<div id=\"other\" data-json=\"{}\">"), Is.Null);

        const string card = "<div class=\"air_card_server_info_name2\"><a href=\"/s\">Castor</a></div><div class=\"air_card_server_info_location\"><div>Amsterdam</div><div>NL</div></div>";
        Assert.That(HtmlScraper.TextOfClass(card, "air_card_server_info_name2", link: true), Is.EqualTo("Castor"));
        Assert.That(HtmlScraper.TextOfClass(card, "air_card_server_info_location", link: false), Is.EqualTo("Amsterdam"));
    }

    [Test]
    public void Entry_gate_cookie_matches_between_client_and_fake()
    {
        var gate = EntryGate.Solve(new Uri("https://airvpn.org/entry/?aek_id=abc123&aek_url=%2Flogin%2F"));
        Assert.That(gate!.Value.Target, Is.EqualTo("/login/"));
        Assert.That(gate.Value.Cookie, Is.EqualTo(WebSite.Af3("abc123").ToString()));
        Assert.That(EntryGate.Af3("a"), Is.EqualTo(97L * 97 * 30 + 18));
    }

    [Test]
    public void X25519_matches_rfc_7748()
    {
        var alice = Convert.ToBase64String(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        Assert.That(Convert.ToHexString(Convert.FromBase64String(X25519.PublicKeyOf(alice))).ToLowerInvariant(),
            Is.EqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
    }

    [Test]
    public void A_user_answer_with_a_past_expiration_date_is_refused()
    {
        var past = DateTimeOffset.UtcNow.AddDays(-1).ToUnixTimeSeconds();
        var e = Assert.Throws<ProviderException>(() => UserParser.Parse(
            System.Xml.Linq.XElement.Parse($"<user login=\"u\" expirationdate=\"{past}\"><keys /></user>"), "u"))!;
        Assert.That(e.Message, Does.Contain("expired on").And.Contain("renew"));
    }

    [Test]
    public void A_user_answer_lists_every_device_key()
    {
        var user = UserParser.Parse(System.Xml.Linq.XElement.Parse("""
            <user login="u" wg_public_key="PUB"><keys>
              <key name="A" wg_private_key="PA" wg_ipv4="10.1.0.2/32" wg_ipv6="fd00::2/128" wg_dns_ipv4="10.1.0.1" wg_dns_ipv6="fd00::1" wg_preshared="PSK" />
              <key name="B" wg_private_key="PB" wg_ipv4="10.1.0.3/32" />
            </keys></user>
            """), "u");
        Assert.That(user.WgPublicKey, Is.EqualTo("PUB"));
        Assert.That(user.Keys.Select(k => (k.Name, k.WgPrivateKey, k.WgIpv4)), Is.EqualTo(new[] { ("A", "PA", "10.1.0.2/32"), ("B", "PB", "10.1.0.3/32") }));
        Assert.That(user.Keys[0].WgPreshared, Is.EqualTo("PSK"));
    }

    [Test]
    public void A_manifest_fills_servers_from_their_group()
    {
        var m = ManifestParser.Parse(System.Xml.Linq.XElement.Parse("""
            <manifest>
              <servers_groups><servers_group group="g1" ips_entry="1.2.3.4,5.6.7.8" bw_max="1000" users_max="200" scorebase="4" /></servers_groups>
              <servers><server name="Castor" country_code="NL" location="Amsterdam" bw="50000" users="15" group="g1" /></servers>
              <modes><mode type="wireguard" protocol="UDP" port="1637" entry_index="1" /><mode type="openvpn" protocol="TCP" port="443" entry_index="0" /></modes>
            </manifest>
            """), DateTimeOffset.UtcNow, new CapturingLog());
        var s = m.Servers.Single();
        Assert.That((s.CountryCode, s.BandwidthMax, s.UsersMax, s.ScoreBase), Is.EqualTo(("nl", 1000L, 200L, 4L)));
        Assert.That(s.EntryFor(m.WireGuardModes.Single()), Is.EqualTo("5.6.7.8"), "entry_index picks the address");
        Assert.That(m.Modes.Select(x => x.UserName), Is.EqualTo(new[] { "wg-1637", "openvpn-tcp-443" }));
    }

    [Test]
    public void A_manifest_carries_bootstrap_urls_its_api_key_next_update_and_tunnelled_modes()
    {
        using var rsa = System.Security.Cryptography.RSA.Create(2048);
        var key = rsa.ExportParameters(false);
        var m = ManifestParser.Parse(System.Xml.Linq.XElement.Parse($$"""
            <manifest next_update="45" auth_rsa_modulus="{{Convert.ToBase64String(key.Modulus!)}}" auth_rsa_exponent="{{Convert.ToBase64String(key.Exponent!)}}">
              <servers />
              <modes><mode type="openvpn" protocol="TCP" port="22" transport="SSH" /><mode type="openvpn" protocol="TCP" port="443" transport="ssl" entry_index="1" /></modes>
              <urls><url address="http://198.18.0.5" /><url address="ftp://nope" /><url address="http://[2001:db8::5]" /></urls>
            </manifest>
            """), DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), new CapturingLog());
        Assert.That(m.NextUpdateMinutes, Is.EqualTo(45));
        Assert.That(m.FetchedAt, Is.EqualTo(1_700_000_000));
        Assert.That(m.BootstrapUrls, Is.EqualTo(new[] { "http://198.18.0.5", "http://[2001:db8::5]" }));
        Assert.That(m.RsaModulus, Is.EqualTo(Convert.ToBase64String(key.Modulus!)));
        Assert.That(m.Modes.Select(x => x.UserName), Is.EqualTo(new[] { "openvpn-ssh-22", "openvpn-ssl-443" }));
    }

    [Test]
    public void A_manifest_with_a_malformed_key_keeps_none()
    {
        var m = ManifestParser.Parse(System.Xml.Linq.XElement.Parse("""
            <manifest auth_rsa_modulus="AQAB" auth_rsa_exponent="AQAB"><servers /></manifest>
            """), DateTimeOffset.UtcNow, new CapturingLog());
        Assert.That((m.RsaModulus, m.RsaExponent, m.NextUpdateMinutes), Is.EqualTo(("", "", (int?)null)));
    }

    [Test]
    public void The_assembly_names_its_provider_for_the_host()
    {
        var attribute = (TunmuxPluginAttribute)Attribute.GetCustomAttribute(typeof(AirVpnProvider).Assembly, typeof(TunmuxPluginAttribute))!;
        Assert.That(attribute.ProviderType, Is.EqualTo(typeof(AirVpnProvider)));
        var provider = (IVpnProvider)Activator.CreateInstance(attribute.ProviderType)!;
        Assert.That((provider.Name, provider.DisplayName), Is.EqualTo(("airvpn", "AirVPN")));
        Assert.That(typeof(AirVpnProvider).Assembly.GetName().Name, Is.EqualTo("airvpn"));
    }

    [Test]
    public void Ddns_names_drop_the_airdns_suffix()
    {
        Assert.That(AirSite.DdnsPrefix("home.airdns.org."), Is.EqualTo("home"));
        Assert.That(AirSite.DdnsPrefix("home"), Is.EqualTo("home"));
    }
}
