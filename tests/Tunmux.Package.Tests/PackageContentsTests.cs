using NUnit.Framework;
using Tunmux.TestSupport.Lab;

namespace Tunmux.Package.Tests;

/// <summary>What the package holds, read from the .deb itself: files, modes, owners, control fields, conffiles.</summary>
[TestFixture]
public sealed class PackageContentsTests
{
    /// <summary>One line of <c>dpkg-deb -c</c>: mode, owner, path without the leading '.', link target.</summary>
    private sealed record Entry(string Mode, string Owner, string Path, string? Target);

    private static IReadOnlyDictionary<string, Entry> Listing()
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var line in Lab.Check(Lab.Run("dpkg-deb", ["-c", BuiltPackage.Deb])).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var name = parts[5];
            string? target = null;
            var arrow = name.IndexOf(" -> ", StringComparison.Ordinal);
            if (arrow >= 0) (name, target) = (name[..arrow], name[(arrow + 4)..]);
            name = name.TrimStart('.').TrimEnd('/');
            if (name.Length > 0) entries[name] = new Entry(parts[0], parts[1], name, target);
        }
        return entries;
    }

    /// <summary>The plugins build/publish.sh ships: every plugin project not marked unfinished.</summary>
    private static IEnumerable<string> ShippedPlugins() =>
        Directory.GetDirectories(Path.Combine(BuiltPackage.RepoRoot, "plugins")).SelectMany(d => Directory.GetFiles(d, "*.csproj"))
            .Where(p => !File.ReadAllText(p).Contains("<TunmuxUnfinishedPlugin>true</TunmuxUnfinishedPlugin>", StringComparison.Ordinal))
            .Select(p => System.IO.Path.GetFileNameWithoutExtension(p));

    [Test]
    public void The_command_is_a_link_into_its_own_folder_with_the_proxy_beside_it()
    {
        var files = Listing();
        Assert.Multiple(() =>
        {
            Assert.That(files["/usr/bin/tunmux"].Mode, Does.StartWith("l"));
            Assert.That(files["/usr/bin/tunmux"].Target, Is.EqualTo("../lib/tunmux/tunmux"));
            Assert.That(files["/usr/lib/tunmux/tunmux"].Mode, Is.EqualTo("-rwxr-xr-x"));
            Assert.That(files["/usr/lib/tunmux/tunmux-proxy"].Mode, Is.EqualTo("-rwxr-xr-x"));
            // Self-contained: the .NET runtime travels with it, since Debian has no .NET 10 runtime package.
            Assert.That(files.ContainsKey("/usr/lib/tunmux/libcoreclr.so"), Is.True, "no .NET runtime in the package");
            Assert.That(files.ContainsKey("/usr/lib/tunmux/System.Private.CoreLib.dll"), Is.True, "no .NET base library in the package");
            Assert.That(files.ContainsKey("/usr/lib/tunmux/daemon-handover"), Is.True);
        });
    }

    [Test]
    public void Every_finished_plugin_is_in_the_plugins_folder_without_a_private_copy_of_the_contracts()
    {
        var files = Listing();
        var plugins = ShippedPlugins().ToList();
        Assert.That(plugins, Does.Contain("proton").And.Contain("airvpn").And.Contain("wgconf"));
        Assert.Multiple(() =>
        {
            foreach (var name in plugins)
            {
                Assert.That(files.ContainsKey($"/usr/lib/tunmux/plugins/{name}/{name}.dll"), Is.True, $"plugin {name} missing");
                Assert.That(files.ContainsKey($"/usr/lib/tunmux/plugins/{name}/Tunmux.Contracts.dll"), Is.False,
                    $"plugin {name} carries its own contracts, which would split the plugin API into two types");
            }
        });
    }

    [Test]
    public void Units_man_page_completions_and_documentation_are_where_systemd_man_and_each_shell_look()
    {
        var files = Listing();
        string[] expected =
        [
            "/usr/lib/systemd/system/tunmux-privileged.socket",
            "/usr/lib/systemd/system/tunmux-privileged.service",
            "/usr/share/man/man1/tunmux.1.gz",
            "/usr/share/bash-completion/completions/tunmux",
            "/usr/share/zsh/vendor-completions/_tunmux",
            "/usr/share/fish/vendor_completions.d/tunmux.fish",
            "/usr/share/doc/tunmux/copyright",
            "/usr/share/doc/tunmux/changelog.gz",
        ];
        Assert.Multiple(() =>
        {
            foreach (var path in expected) Assert.That(files.ContainsKey(path), Is.True, path + " missing");
            var service = File.ReadAllText(Path.Combine(BuiltPackage.Unpacked, "usr/lib/systemd/system/tunmux-privileged.service"));
            Assert.That(service, Does.Contain("ExecStart=/usr/bin/tunmux privileged --serve"), "the unit does not start the installed command");
        });
    }

    [Test]
    public void The_AppArmor_profile_is_a_conffile_when_the_source_has_one()
    {
        var files = Listing();
        var conffiles = File.ReadAllLines(Path.Combine(BuiltPackage.Unpacked, "DEBIAN", "conffiles"));
        if (!File.Exists(Path.Combine(BuiltPackage.RepoRoot, "build", "apparmor", "tunmux")))
        {
            Assert.That(files.ContainsKey("/etc/apparmor.d/tunmux"), Is.False);
            Assert.Ignore("this source has no AppArmor profile (build/apparmor/tunmux) to package");
        }
        Assert.Multiple(() =>
        {
            Assert.That(files["/etc/apparmor.d/tunmux"].Mode, Is.EqualTo("-rw-r--r--"));
            Assert.That(conffiles, Does.Contain("/etc/apparmor.d/tunmux"));
            var profile = File.ReadAllText(Path.Combine(BuiltPackage.Unpacked, "etc/apparmor.d/tunmux"));
            Assert.That(profile, Does.Contain("/usr/lib/tunmux/tunmux"), "the profile does not name the installed executable");
        });
    }

    [Test]
    public void The_sudoers_drop_in_is_root_0440_valid_and_allows_only_the_daemon_of_the_installed_command()
    {
        var files = Listing();
        var path = Path.Combine(BuiltPackage.Unpacked, "etc/sudoers.d/tunmux");
        var check = Lab.Run("visudo", ["-cf", path]);
        var rules = File.ReadAllLines(path).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(files["/etc/sudoers.d/tunmux"].Mode, Is.EqualTo("-r--r-----"));
            Assert.That(files["/etc/sudoers.d/tunmux"].Owner, Is.EqualTo("root/root"));
            Assert.That(File.ReadAllLines(Path.Combine(BuiltPackage.Unpacked, "DEBIAN", "conffiles")), Does.Contain("/etc/sudoers.d/tunmux"));
            Assert.That(check.ExitCode, Is.Zero, "visudo -cf: " + check);
            Assert.That(rules, Is.Not.Empty);
            foreach (var rule in rules)
                Assert.That(rule, Does.StartWith("%tunmux ALL=(root) NOPASSWD: /usr/bin/tunmux privileged --serve ")
                    .Or.StartWith("%tunmux ALL=(root) NOPASSWD: /usr/bin/tunmux ^privileged --serve "), rule);
        });
    }

    [Test]
    public void Every_file_belongs_to_root_and_none_is_writable_by_others()
    {
        var files = Listing();
        Assert.Multiple(() =>
        {
            foreach (var entry in files.Values)
            {
                Assert.That(entry.Owner, Is.EqualTo("root/root"), entry.Path);
                if (!entry.Mode.StartsWith('l')) Assert.That(entry.Mode[8], Is.EqualTo('-'), entry.Path + " is writable by others");
            }
        });
    }

    [Test]
    public void Control_names_the_version_and_the_Debian_packages_tunmux_runs()
    {
        var depends = BuiltPackage.Field("Depends");
        var recommends = BuiltPackage.Field("Recommends");
        Assert.Multiple(() =>
        {
            Assert.That(BuiltPackage.Field("Package"), Is.EqualTo("tunmux"));
            Assert.That(BuiltPackage.Field("Version"), Is.EqualTo(BuiltPackage.Version));
            Assert.That(Path.GetFileName(BuiltPackage.Deb), Is.EqualTo($"tunmux_{BuiltPackage.Version}_{BuiltPackage.Field("Architecture")}.deb"));
            foreach (var package in new[] { "iproute2", "wireguard-tools", "util-linux", "nftables", "sudo (>= 1.9.10)", "passwd", "libc6" })
                Assert.That(depends, Does.Contain(package), "Depends lacks " + package);
            Assert.That(recommends, Does.Contain("wireguard-go").And.Contain("passt"));
        });
    }

    [Test]
    public void Maintainer_scripts_are_posix_shell_that_parses()
    {
        var debian = Path.Combine(BuiltPackage.Unpacked, "DEBIAN");
        Assert.Multiple(() =>
        {
            foreach (var script in new[] { "postinst", "prerm", "postrm" })
            {
                var path = Path.Combine(debian, script);
                Assert.That(File.ReadLines(path).First(), Is.EqualTo("#!/bin/sh"), script);
                Assert.That(File.GetUnixFileMode(path).HasFlag(UnixFileMode.UserExecute), Is.True, script + " is not executable");
                var parse = Lab.Run("sh", ["-n", path]);
                Assert.That(parse.ExitCode, Is.Zero, script + ": " + parse);
            }
            var handover = Lab.Run("sh", ["-n", Path.Combine(BuiltPackage.Unpacked, "usr/lib/tunmux/daemon-handover")]);
            Assert.That(handover.ExitCode, Is.Zero, "daemon-handover: " + handover);
        });
    }
}
