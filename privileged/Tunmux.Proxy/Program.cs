using Tunmux.Privileged;

// tunmux-proxy: started by the privileged daemon inside an instance's namespace, never by hand.
return await PrivilegedEntry.RunProxyAsync(args, CancellationToken.None);
