using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Connect;
using Tunmux.Plugins.AirVpn.Model;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>
/// <c>generate -s SERVER|COUNTRY... -p PROTO-PORT... [--entry ipv4|ipv6] [--exit ipv4|ipv6|both] [--mtu N]
/// [--keepalive N] [-o FILE] [--format zip|tar|tar.gz]</c>: config files from AirVPN's generator for any
/// mode the manifest lists, one file as is, several in an archive. The files hold the device's private
/// key: written 0600.
/// </summary>
internal sealed class GenerateVerb(AirAccount account, IProviderContext context)
{
    private const string ApiKeyName = "tunmux";

    public async Task<int> RunAsync(GenerateOptions o, CancellationToken ct)
    {
        // Input first: nothing is asked of AirVPN for a malformed request.
        var protocols = o.Protocols.Select(ProtocolSpec.Parse).DistinctBy(p => p.GeneratorValue).ToList();
        var targets = o.Servers.Select(s => Input.Name(s, "server")).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (targets.Count == 0) throw new ProviderException("airvpn: generate needs at least one -s SERVER or -s COUNTRY");
        if (o.Device is not null && o.Key is not null && !string.Equals(o.Device, o.Key, StringComparison.OrdinalIgnoreCase))
            throw new ProviderException($"airvpn: --device {o.Device} and --key {o.Key} name different devices; give one");
        var output = o.Output;
        var options = Options(o);
        var format = ConfigArchive.Choose(o.Format, output);

        var session = await account.Store.RequireAsync(ct);
        context.Steps.Step("reading AirVPN's server manifest");
        var manifest = await account.ManifestAsync(session, refresh: false, ct);
        var servers = targets.Select(t => Resolve(manifest, t)).ToList();
        foreach (var p in protocols) p.Resolve(manifest);
        // Without -p: the WireGuard mode connect uses.
        if (protocols.Count == 0) protocols.Add(ProtocolSpec.Parse($"wg-{ProfileBuilder.WireGuardMode(manifest).Port}"));
        context.Steps.Step("choosing the device key");
        (session, var key) = await account.KeyAsync(session, o.Device ?? o.Key, ct);

        var files = new List<GeneratedFile>();
        var generator = await GeneratorAsync(session, ct);
        var asked = 0;
        foreach (var server in servers)
            foreach (var p in protocols)
            {
                context.Steps.Step($"asking AirVPN's config generator for {server} {p.ShortName} ({++asked} of {servers.Count * protocols.Count})");
                var request = new GeneratorRequest(server, p.GeneratorValue, key.Name, $"AirVPN_{server}_{p.ShortName}{p.FileExtension}", options);
                try
                {
                    files.AddRange(await generator.GenerateAsync(request, ct));
                }
                catch (GeneratorClient.KeyRejectedException)
                {
                    // The stored API key was deleted or revoked: provision a fresh one, once.
                    session = await account.Store.RequireAsync(ct) with { ApiKey = null };
                    await account.Store.SaveAsync(session, ct);
                    generator = await GeneratorAsync(session, ct);
                    try
                    {
                        files.AddRange(await generator.GenerateAsync(request, ct));
                    }
                    catch (GeneratorClient.KeyRejectedException)
                    {
                        throw new ProviderException("airvpn: the config generator refuses the API key even after provisioning a new one; check 'tunmux airvpn api list'");
                    }
                }
            }

        if (files.Count == 1 && output is null)
        {
            context.Console.Out.Write(System.Text.Encoding.UTF8.GetString(files[0].Content));
            return 0;
        }
        if (files.Count == 1)
        {
            WritePrivate(output!, s => s.Write(files[0].Content));
            context.Console.Out.WriteLine($"Wrote {files[0].Name} to {output}");
            return 0;
        }

        output ??= ConfigArchive.DefaultName(format);
        WritePrivate(output, s => ConfigArchive.Write(s, format, files));
        context.Console.Out.WriteLine($"Wrote {files.Count} configs to {output}: {string.Join(", ", files.Select(f => f.Name))}");
        return 0;
    }

    /// <summary>The generator's shared options, with the original tool's defaults (entry over IPv4, both families in the tunnel, MTU 1320, keepalive 15).</summary>
    private static GeneratorOptions Options(GenerateOptions o)
    {
        var entry = (o.Entry ?? "ipv4").Trim().ToLowerInvariant();
        if (entry is not ("ipv4" or "ipv6")) throw new ProviderException($"airvpn: --entry takes ipv4 or ipv6, not '{o.Entry}'");
        var exit = (o.Exit ?? "both").Trim().ToLowerInvariant();
        if (exit is not ("ipv4" or "ipv6" or "both")) throw new ProviderException($"airvpn: --exit takes ipv4, ipv6 or both, not '{o.Exit}'");
        var mtu = Number(o.Mtu, "mtu", ProfileBuilder.Mtu, 576, 9000);
        var keepalive = Number(o.Keepalive, "keepalive", ProfileBuilder.Keepalive, 0, 65535);
        return new GeneratorOptions(entry, exit, mtu, keepalive);
    }

    private static int Number(int? value, string name, int fallback, int min, int max) =>
        value is not { } v ? fallback
        : v >= min && v <= max ? v
        : throw new ProviderException($"airvpn: --{name} takes a number from {min} to {max}, not '{v}'");

    /// <summary>A server name keeps its spelling from the manifest; a country code goes to the generator as such.</summary>
    private static string Resolve(AirManifest manifest, string target)
    {
        if (manifest.Servers.FirstOrDefault(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase)) is { } server) return server.Name;
        if (AirAccount.Countries(manifest).Contains(target, StringComparer.OrdinalIgnoreCase)) return target.ToLowerInvariant();
        throw new ProviderException($"airvpn: '{target}' is neither a server nor a country with servers; countries: {AirAccount.Names(AirAccount.Countries(manifest))}; servers: {AirAccount.Names(manifest.Servers.Select(s => s.Name))}");
    }

    /// <summary>The generator client with the stored API key, or one found or created through the web session.</summary>
    private async Task<GeneratorClient> GeneratorAsync(AirSession session, CancellationToken ct)
    {
        if (session.ApiKey is not { Length: > 0 } apiKey)
        {
            using var web = await AirWeb.OpenAsync(account.Settings, context, session, ct);
            var site = new AirSite(web);
            apiKey = await web.RunAsync(async c =>
            {
                var keys = await site.ListApiKeysAsync(c);
                var existing = keys.FirstOrDefault(k => string.Equals(k.Name, ApiKeyName, StringComparison.OrdinalIgnoreCase) && k.Secret.Length > 0);
                if (existing is not null) return existing.Secret;
                var created = await site.AddApiKeyAsync(c);
                await site.RenameApiKeyAsync(created, ApiKeyName, c);
                return created.Secret;
            }, ct);
            if (apiKey.Length == 0) throw new ProviderException("airvpn: airvpn.org did not reveal the API key's secret; create one with 'tunmux airvpn api add' and retry");
            session = session with { ApiKey = apiKey };
            await account.Store.SaveAsync(session, ct);
        }
        context.Log.RegisterSecret(apiKey);
        return new GeneratorClient(account.Settings, context, apiKey);
    }

    /// <summary>Writes a file only its owner can read, atomically (temp file in the same folder, then rename).</summary>
    private static void WritePrivate(string path, Action<Stream> write)
    {
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new ProviderException($"airvpn: cannot write {path}: the folder {dir} does not exist");
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temp, options)) write(stream);
            File.Move(temp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new ProviderException($"airvpn: cannot write {path}: {e.Message}", e);
        }
    }
}
