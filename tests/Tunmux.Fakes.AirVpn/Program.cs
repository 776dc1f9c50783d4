using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Tunmux.Fakes.AirVpn;

// dotnet Tunmux.Fakes.AirVpn.dll --port N --servers FILE [--public-key-out FILE] [--private-key FILE] [--hook PROGRAM [--hook ARG]...]
// Prints its URL on the first line when ready, then the path of the public key clients must use.
const string Usage = "usage: Tunmux.Fakes.AirVpn --port N --servers FILE [--public-key-out FILE] [--private-key PEM] [--hook PROGRAM [--hook ARG]...] [-- HOOK ARGV...]";

int port = 0;
string? servers = null, publicKeyOut = null, privateKey = null;
var hook = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--port": port = int.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--servers": servers = Next(); break;
        case "--public-key-out": publicKeyOut = Next(); break;
        case "--private-key": privateKey = Next(); break;
        case "--hook": hook.Add(Next()); break;
        case "--": hook.AddRange(args[(i + 1)..]); i = args.Length; break;
        case "-h" or "--help": Console.WriteLine(Usage); return 0;
        default: Console.Error.WriteLine($"unknown argument '{args[i]}'\n{Usage}"); return 2;
    }
}
if (servers is null || port is < 0 or > 65535)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

using RSA key = RSA.Create(2048);
if (privateKey is not null) key.ImportFromPem(File.ReadAllText(privateKey));

await using var fake = await FakeAirVpn.StartAsync(new FakeOptions
{
    Port = port,
    Catalog = Catalog.Load(servers),
    Hook = hook,
    Key = key,
    Log = Console.Error,
});

publicKeyOut ??= Path.Combine(Path.GetTempPath(), $"tunmux-fake-airvpn-{new Uri(fake.Url).Port}.pub.pem");
File.WriteAllText(publicKeyOut, fake.PublicKeyPem);

Console.WriteLine(fake.Url);
Console.WriteLine($"rsa_key_file={Path.GetFullPath(publicKeyOut)}");
foreach (var a in fake.State.Accounts) Console.WriteLine($"account={a.Username}");
Console.Out.Flush();

var stop = new TaskCompletionSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
using var intr = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
return 0;
