using NUnit.Framework;

namespace Tunmux.TestSupport;

/// <summary>Explicit skips that name why a test cannot run here.</summary>
public static class Requires
{
    public static bool IsRoot => Environment.UserName == "root" || GetEuid() == 0;

    public static void Root(string why = "creates network namespaces and interfaces")
    {
        if (!IsRoot) Assert.Ignore($"needs root: {why}");
        if (!OperatingSystem.IsLinux()) Assert.Ignore("needs Linux");
    }

    public static void Command(string name, string package)
    {
        if (Which(name) is null) Assert.Ignore($"needs '{name}' (Debian package {package}), not installed");
    }

    public static void KernelWireGuard()
    {
        if (!Directory.Exists("/sys/module/wireguard") && !CanCreateKernelWireGuard())
            Assert.Ignore("needs the kernel WireGuard module, which this kernel does not have");
    }

    public static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':'))
        {
            var p = Path.Combine(dir, name);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    private static bool CanCreateKernelWireGuard()
    {
        try
        {
            var name = "tmxprobe" + Environment.ProcessId % 10000;
            using var p = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ip", $"link add {name} type wireguard")
            { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            if (p.ExitCode != 0) return false;
            System.Diagnostics.Process.Start("ip", $"link del {name}")!.WaitForExit();
            return true;
        }
        catch (System.ComponentModel.Win32Exception) { return false; }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();
}
