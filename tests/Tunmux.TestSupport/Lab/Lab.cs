using System.Diagnostics;
using System.Text;

namespace Tunmux.TestSupport.Lab;

/// <summary>A client key registered as a peer on one lab VPN server, with what a profile needs.</summary>
public sealed record LabClient(
    int Server,
    string PrivateKey,
    string PublicKey,
    string Address,
    string ServerPublicKey,
    string Endpoint,
    string Dns)
{
    public override string ToString() => $"LabClient {{ Server = {Server}, Address = {Address}, Endpoint = {Endpoint} }}";
}

/// <summary>The result of a command run by the lab helpers.</summary>
public sealed record LabResult(int ExitCode, string Output, string Error)
{
    public bool Ok => ExitCode == 0;
    public override string ToString() => $"exit {ExitCode}: {Output.Trim()} {Error.Trim()}";
}

/// <summary>
/// Drives <c>build/lab/lab.sh</c>: a fake internet, N fake VPN servers and two host stand-ins,
/// all in namespaces named after <see cref="Name"/> (unique per test run). Dispose takes it all down.
/// </summary>
public sealed class Lab : IDisposable
{
    private int _nextClient;

    private Lab(string name, int servers)
    {
        Name = name;
        Servers = servers;
        Dir = Path.Combine(Path.GetTempPath(), "tunmux-" + name);
    }

    /// <summary>Lab name: at most 8 characters, prefix of every namespace (<c>&lt;name&gt;-host</c>, ...).</summary>
    public string Name { get; }
    public int Servers { get; }
    public string Dir { get; }

    /// <summary>Stands in for the host in proxy mode; enter with <see cref="InHost"/> (nsenter keeps the mount namespace).</summary>
    public string HostNamespace => Name + "-host";

    /// <summary>Stands in for the host in direct mode; enter with <c>ip netns exec</c> so its resolv.conf is the lab's file.</summary>
    public string DirectHostNamespace => Name + "-dhost";

    public string InternetNamespace => Name + "-inet";

    /// <summary>VPN server <paramref name="k"/>'s namespace (lab.sh's <c>&lt;name&gt;-vpnK</c>).</summary>
    public string ServerNamespace(int k) => $"{Name}-vpn{k}";
    public string WhoamiUrl => "http://198.18.100.1/";

    /// <summary>The what-is-my-IP service by name: it resolves only through a lab server's DNS, so inside a tunnel.</summary>
    public string WhoamiByName => "http://whoami.lab/";
    public string WhoamiIp => "198.18.100.1";
    public string DnsIp => "198.18.100.53";
    public string HostAddress => "198.18.0.2";
    public string DirectHostAddress => "198.18.1.2";

    /// <summary>The address the fake internet sees for traffic leaving VPN server <paramref name="k"/>.</summary>
    public string ExitAddress(int k) => $"198.18.{10 + k}.2";

    /// <summary>Instance names tests should use, so <c>lab.sh down</c> also removes their namespaces.</summary>
    public string InstanceName(string suffix) => Name + "-" + suffix;

    public static string ScriptPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "build", "lab", "lab.sh");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("build/lab/lab.sh not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>A lab name unique to this process: "lab" and five digits.</summary>
    public static string UniqueName() => $"lab{Environment.ProcessId % 100000:D5}";

    /// <summary>Builds the lab (cleaning leftovers of the same name first). Needs root.</summary>
    public static Lab Up(int servers = 2, string? name = null)
    {
        var lab = new Lab(name ?? UniqueName(), servers);
        var r = lab.Script("up", servers.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (!r.Ok)
        {
            lab.Script("down");
            throw new InvalidOperationException("lab up failed: " + r);
        }
        return lab;
    }

    public LabResult Script(params string[] args) =>
        Run("bash", [ScriptPath, .. args], env: new() { ["TUNMUX_LAB_NAME"] = Name, ["TUNMUX_LAB_DIR"] = Dir });

    /// <summary>A wg-quick client config for server <paramref name="k"/>, its key already registered there.</summary>
    public string ClientConf(int k) => Check(Script("client-conf", k.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>A fresh client key registered on server <paramref name="k"/> with its own tunnel address.</summary>
    public LabClient NewClient(int k)
    {
        var n = Interlocked.Increment(ref _nextClient) + 10;
        if (n > 250) throw new InvalidOperationException("too many lab clients");
        var priv = Check(Run("wg", ["genkey"])).Trim();
        var pub = Check(Run("wg", ["pubkey"], stdin: priv + "\n")).Trim();
        var address = $"10.2.{k}.{n}";
        Check(Script("add-peer", k.ToString(System.Globalization.CultureInfo.InvariantCulture), pub, address));
        var conf = ClientConf(k);
        var serverPub = conf.Split('\n').First(l => l.StartsWith("PublicKey", StringComparison.Ordinal)).Split('=', 2)[1].Trim();
        return new LabClient(k, priv, pub, address + "/32", serverPub, $"{ExitAddress(k)}:51820", DnsIp);
    }

    /// <summary>Runs a command in the host stand-in the way the daemon runs there (network namespace only).</summary>
    public LabResult InHost(string file, params string[] args) =>
        Run("nsenter", ["--net=/run/netns/" + HostNamespace, file, .. args]);

    /// <summary>Runs a command in a namespace with <c>ip netns exec</c> (its /etc/netns files bind-mounted).</summary>
    public static LabResult InNamespace(string ns, string file, params string[] args) =>
        Run("ip", ["netns", "exec", ns, file, .. args]);

    /// <summary>What-is-my-IP as seen from namespace <paramref name="ns"/>: the address the fake internet sees.</summary>
    public string Whoami(string ns, string? url = null)
    {
        var r = InNamespace(ns, "curl", "-sS", "-m", "5", url ?? WhoamiUrl);
        return r.Ok ? r.Output.Trim() : "error: " + r.Error.Trim();
    }

    public static bool NamespaceExists(string ns) => File.Exists(Path.Combine("/run/netns", ns));

    public void Dispose() => Script("down");

    public static string Check(LabResult r) => r.Ok ? r.Output : throw new InvalidOperationException(r.ToString());

    public static LabResult Run(string file, IReadOnlyList<string> args, string? stdin = null,
        Dictionary<string, string>? env = null, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (env is not null) foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return new LabResult(124, stdout.Result, stderr.Result + $"\n{file} timed out");
        }
        return new LabResult(p.ExitCode, stdout.Result, stderr.Result);
    }
}
