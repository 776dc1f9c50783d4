using System.IO.Compression;
using System.Text;
using Tunmux.Contracts;
using Tunmux.Plugins.AirVpn.Connect;
using Tunmux.Plugins.AirVpn.Model;
using Tunmux.Plugins.AirVpn.Web;

namespace Tunmux.Plugins.AirVpn.Verbs;

/// <summary>
/// <c>generate -s SERVER|COUNTRY... -p PROTO-PORT... [-o FILE]</c>: config files from AirVPN's generator,
/// one file as is, several in a zip archive. The files hold the device's private key: written 0600.
/// </summary>
internal sealed class GenerateVerb(AirAccount account, IProviderContext context)
{
    public const string DefaultArchive = "airvpn-configs.zip";
    private const string ApiKeyName = "tunmux";

    public async Task<int> RunAsync(VerbInvocation inv, CancellationToken ct)
    {
        var o = inv.Options;
        // Input first: nothing is asked of AirVPN for a malformed request.
        var protocols = o.GetAll("protocol").Select(ProtocolSpec.Parse).DistinctBy(p => p.GeneratorValue).ToList();
        var targets = o.GetAll("server").Select(s => Input.Name(s, "server")).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (targets.Count == 0) throw new ProviderException("airvpn: generate needs at least one -s SERVER or -s COUNTRY");
        var output = o.Get("output");

        var session = await account.Store.RequireAsync(ct);
        var manifest = await account.ManifestAsync(session, refresh: false, ct);
        var servers = targets.Select(t => Resolve(manifest, t)).ToList();
        foreach (var p in protocols) CheckOffered(manifest, p);
        // Without -p: the WireGuard mode connect uses.
        if (protocols.Count == 0) protocols.Add(ProtocolSpec.Parse($"wg-{ProfileBuilder.WireGuardMode(manifest).Port}"));
        (session, var key) = await account.KeyAsync(session, o.Get("key"), ct);

        var files = new List<(string Name, string Text)>();
        var generator = await GeneratorAsync(session, ct);
        foreach (var server in servers)
            foreach (var p in protocols)
            {
                var request = new GeneratorRequest(server, p.GeneratorValue, key.Name);
                string text;
                try
                {
                    text = await generator.GenerateAsync(request, ct);
                }
                catch (GeneratorClient.KeyRejectedException)
                {
                    // The stored API key was deleted or revoked: provision a fresh one, once.
                    session = await account.Store.RequireAsync(ct) with { ApiKey = null };
                    await account.Store.SaveAsync(session, ct);
                    generator = await GeneratorAsync(session, ct);
                    try
                    {
                        text = await generator.GenerateAsync(request, ct);
                    }
                    catch (GeneratorClient.KeyRejectedException)
                    {
                        throw new ProviderException("airvpn: the config generator refuses the API key even after provisioning a new one; check 'tunmux airvpn api list'");
                    }
                }
                files.Add(($"AirVPN_{server}_{p.ShortName}{p.FileExtension}", text));
            }

        if (files.Count == 1 && output is null)
        {
            context.Console.Out.Write(files[0].Text);
            return 0;
        }
        if (files.Count == 1)
        {
            WritePrivate(output!, s => s.Write(Encoding.UTF8.GetBytes(files[0].Text)));
            context.Console.Out.WriteLine($"Wrote {files[0].Name} to {output}");
            return 0;
        }

        output ??= DefaultArchive;
        WritePrivate(output, s =>
        {
            using var zip = new ZipArchive(s, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, text) in files)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.Optimal).Open();
                entry.Write(Encoding.UTF8.GetBytes(text));
            }
        });
        context.Console.Out.WriteLine($"Wrote {files.Count} configs to {output}: {string.Join(", ", files.Select(f => f.Name))}");
        return 0;
    }

    /// <summary>A server name keeps its spelling from the manifest; a country code goes to the generator as such.</summary>
    private static string Resolve(AirManifest manifest, string target)
    {
        if (manifest.Servers.FirstOrDefault(s => string.Equals(s.Name, target, StringComparison.OrdinalIgnoreCase)) is { } server) return server.Name;
        if (AirAccount.Countries(manifest).Contains(target, StringComparer.OrdinalIgnoreCase)) return target.ToLowerInvariant();
        throw new ProviderException($"airvpn: '{target}' is neither a server nor a country with servers; countries: {AirAccount.Names(AirAccount.Countries(manifest))}; servers: {AirAccount.Names(manifest.Servers.Select(s => s.Name))}");
    }

    private static void CheckOffered(AirManifest manifest, ProtocolSpec p)
    {
        var offered = manifest.Modes.Where(m => m.Type == p.Type && m.Protocol.Equals(p.Transport, StringComparison.OrdinalIgnoreCase) && m.Port == p.Port);
        if (!offered.Any())
            throw new ProviderException($"airvpn: {p.ShortName} is not offered; available: {AirAccount.Names(manifest.Modes.Select(m => m.UserName).Distinct())}");
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
