using System.Globalization;
using Tunmux.Fakes.Ivpn;
using Tunmux.Fakes.Kit;

// The fake IVPN API (and web site) as a program (for the lab):
//   --port N --servers FILE [--account ID]... [--address-prefix A.B.C] [--hook PROGRAM ARGS...]
try
{
    var port = 0;
    string? servers = null;
    var fake = new FakeIvpnApi();
    var accounts = new List<string>();
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--port": port = int.Parse(ServeLoop.Value(args, ref i), CultureInfo.InvariantCulture); break;
            case "--servers": servers = ServeLoop.Value(args, ref i); break;
            case "--account": accounts.Add(ServeLoop.Value(args, ref i)); break;
            case "--address-prefix": fake.AddressPrefix = ServeLoop.Value(args, ref i); break;
            // Everything after --hook is the hook's argument vector (never a shell line).
            case "--hook": fake.Hook = [.. args[(i + 1)..]]; i = args.Length; break;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
    }
    if (fake.Hook is { Count: 0 }) throw new ArgumentException("--hook needs a program");
    if (servers is not null) fake.ServersJson = await File.ReadAllTextAsync(servers);
    if (accounts.Count == 0) accounts.Add("i-LABU-SER0-0001");
    foreach (var a in accounts) fake.AddAccount(a);
    return await ServeLoop.RunAsync(fake, port, $"fake IVPN API ready; {accounts.Count} account(s)");
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine("usage: Tunmux.Fakes.Ivpn --port N --servers FILE [--account ID]... [--address-prefix A.B.C] [--hook PROGRAM ARGS...]");
    return 2;
}
