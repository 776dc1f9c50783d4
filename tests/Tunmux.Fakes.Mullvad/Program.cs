using System.Globalization;
using Tunmux.Fakes.Kit;
using Tunmux.Fakes.Mullvad;

// The fake Mullvad API as a program (for the lab):
//   --port N --relays FILE [--account NUMBER[:DAYS]]... [--address-prefix A.B.C] [--no-ipv6] [--hook PROGRAM ARGS...]
try
{
    var port = 0;
    string? relays = null;
    var fake = new FakeMullvadApi();
    var accounts = new List<string>();
    for (var i = 0; i < args.Length; i++)
    {
        switch (args[i])
        {
            case "--port": port = int.Parse(ServeLoop.Value(args, ref i), CultureInfo.InvariantCulture); break;
            case "--relays": relays = ServeLoop.Value(args, ref i); break;
            case "--account": accounts.Add(ServeLoop.Value(args, ref i)); break;
            case "--address-prefix": fake.AddressPrefix = ServeLoop.Value(args, ref i); break;
            case "--no-ipv6": fake.Ipv6 = false; break;
            // Everything after --hook is the hook's argument vector (never a shell line).
            case "--hook": fake.Hook = [.. args[(i + 1)..]]; i = args.Length; break;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
    }
    if (fake.Hook is { Count: 0 }) throw new ArgumentException("--hook needs a program");
    if (relays is not null) fake.RelaysJson = await File.ReadAllTextAsync(relays);
    if (accounts.Count == 0) accounts.Add("1234567890123456");
    foreach (var a in accounts)
    {
        var parts = a.Split(':');
        fake.AddAccount(parts[0], DateTimeOffset.UtcNow.AddDays(parts.Length > 1 ? int.Parse(parts[1], CultureInfo.InvariantCulture) : 30));
    }
    return await ServeLoop.RunAsync(fake, port, $"fake Mullvad API ready; {accounts.Count} account(s)");
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    Console.Error.WriteLine("usage: Tunmux.Fakes.Mullvad --port N --relays FILE [--account NUMBER[:DAYS]]... [--address-prefix A.B.C] [--no-ipv6] [--hook PROGRAM ARGS...]");
    return 2;
}
