using System.Text.Json;
using Tunmux.Privileged.Daemon;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Host.Privileged;

/// <summary>
/// Speaks the daemon protocol over one pair of streams: one request at a time, each answered under its id.
/// A call interrupted half-way leaves the stream out of step, so the connection is then closed for good.
/// </summary>
internal sealed class ProtocolClient : IPrivilegedClient
{
    private static readonly TimeSpan DisposeTimeout = TimeSpan.FromSeconds(2);

    private readonly Stream _input;
    private readonly Stream _output;
    private readonly IAsyncDisposable _transport;
    private readonly string _autostopMode;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _nextId;
    private bool _broken;
    private bool _disposed;
    private string? _leaseId;

    public ProtocolClient(Stream input, Stream output, IAsyncDisposable transport, string autostopMode)
    {
        _input = input;
        _output = output;
        _transport = transport;
        _autostopMode = autostopMode;
    }

    /// <summary>
    /// Starts building the protocol's JSON metadata on another core (<see cref="ProtocolJson.WarmUp"/>):
    /// a command that will talk to the daemon starts this first, so it overlaps with loading the plugin.
    /// </summary>
    public static void StartWarmUp() => _ = Task.Run(ProtocolJson.WarmUp);

    /// <summary>Checks the daemon answers and lets this client in, then takes the command's lease.</summary>
    public async Task HandshakeAsync(CancellationToken ct)
    {
        await PingAsync(ct).ConfigureAwait(false);
        var lease = await CallAsync<LeaseResult>(Ops.LeaseAcquire, null, ct).ConfigureAwait(false);
        _leaseId = lease!.LeaseId;
    }

    public async Task<VersionResult> PingAsync(CancellationToken ct)
    {
        var v = await CallAsync<VersionResult>(Ops.Ping, null, ct).ConfigureAwait(false)
            ?? throw Protocol("ping returned no result");
        if (v.Protocol != ProtocolInfo.Version)
            throw new PrivilegedException(ErrorCodes.VersionMismatch,
                $"privileged daemon speaks protocol {v.Protocol}, this tunmux speaks {ProtocolInfo.Version}; restart the daemon after upgrading");
        return v;
    }

    public async Task<TunnelInfo> TunnelUpAsync(TunnelUpArgs args, CancellationToken ct) =>
        await CallAsync<TunnelInfo>(Ops.TunnelUp, args, ct).ConfigureAwait(false) ?? throw Protocol("tunnel.up returned no result");

    public async Task<TunnelDownResult> TunnelDownAsync(string instance, CancellationToken ct) =>
        await CallAsync<TunnelDownResult>(Ops.TunnelDown, new InstanceArgs { Instance = instance }, ct).ConfigureAwait(false)
        ?? throw Protocol("tunnel.down returned no result");

    public async Task<IReadOnlyList<TunnelInfo>> TunnelListAsync(CancellationToken ct) =>
        (await CallAsync<TunnelListResult>(Ops.TunnelList, null, ct).ConfigureAwait(false) ?? throw Protocol("tunnel.list returned no result")).Tunnels;

    public async Task<IReadOnlyList<TunnelInfo>> TunnelListRecordedAsync(CancellationToken ct) =>
        (await CallAsync<TunnelListResult>(Ops.TunnelList, new TunnelListArgs { Check = false }, ct).ConfigureAwait(false)
         ?? throw Protocol("tunnel.list returned no result")).Tunnels;

    public Task<TunnelInfo?> TunnelInspectAsync(string instance, CancellationToken ct) =>
        CallAsync<TunnelInfo>(Ops.TunnelInspect, new InstanceArgs { Instance = instance }, ct);

    public async Task<WgShowResult> TunnelWgAsync(string instance, CancellationToken ct) =>
        await CallAsync<WgShowResult>(Ops.TunnelWg, new InstanceArgs { Instance = instance }, ct).ConfigureAwait(false)
        ?? throw Protocol("tunnel.wg returned no result");

    public Task KillPidAsync(int pid, CancellationToken ct) =>
        CallAsync<JsonElement?>(Ops.KillPid, new KillPidArgs { Pid = pid }, ct);

    public async Task<FirewallStatus> SetLockdownAsync(LockdownArgs args, CancellationToken ct) =>
        await CallAsync<FirewallStatus>(Ops.LockdownSet, args, ct).ConfigureAwait(false) ?? throw Protocol("lockdown.set returned no result");

    public async Task<FirewallStatus> FirewallStatusAsync(CancellationToken ct) =>
        await CallAsync<FirewallStatus>(Ops.FirewallStatus, null, ct).ConfigureAwait(false) ?? throw Protocol("firewall.status returned no result");

    public Task AllowApiAsync(IReadOnlyList<string> endpoints, CancellationToken ct) =>
        CallAsync<JsonElement?>(Ops.FirewallAllowApi, new AllowApiArgs { Endpoints = endpoints }, ct);

    public Task RootlessExitAsync(string instance, string? endpoint, CancellationToken ct) =>
        CallAsync<JsonElement?>(Ops.FirewallRootlessExit, new RootlessExitArgs { Instance = instance, Endpoint = endpoint }, ct);

    /// <summary>Sends one request and returns its result, or throws the daemon's error as a <see cref="PrivilegedException"/>.</summary>
    public async Task<T?> CallAsync<T>(string op, object? args, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (_broken) throw Lost("an earlier request was interrupted");
            var id = ++_nextId;
            var request = new Request
            {
                Id = id,
                Op = op,
                Args = args is null ? null : JsonSerializer.SerializeToElement(args, args.GetType(), ProtocolJson.Options),
            };
            Response response;
            try
            {
                await MessageFraming.WriteAsync(_output, JsonSerializer.SerializeToUtf8Bytes(request, ProtocolJson.Options), ct).ConfigureAwait(false);
                using var frame = await MessageFraming.ReadAsync(_input, ct).ConfigureAwait(false)
                    ?? throw new EndOfStreamException("the daemon closed the connection");
                response = JsonSerializer.Deserialize<Response>(frame.Payload.Span, ProtocolJson.Options)
                    ?? throw Protocol("empty response");
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException or System.Net.Sockets.SocketException)
            {
                _broken = true;
                throw Lost(e is EndOfStreamException ? "the daemon closed the connection" : "read or write failed");
            }
            catch (OperationCanceledException)
            {
                _broken = true;
                throw;
            }
            catch (JsonException e)
            {
                _broken = true;
                throw Protocol("malformed response" + (e.Path is { } path ? $" at {path}" : ""));
            }

            if (!response.Ok)
            {
                var error = response.Error ?? new ErrorInfo(ErrorCodes.Failed, "request failed without a reason");
                // A denial is answered with id 0 when the daemon did not read the request; it is still this request's answer.
                if (error.Code == ErrorCodes.Unauthorized) throw new PrivilegedException(ErrorCodes.Unauthorized, ClientMessages.Denied);
                throw new PrivilegedException(error.Code, error.Message);
            }
            if (response.Id != id)
            {
                _broken = true;
                throw Protocol($"response to request {response.Id} arrived for request {id}");
            }
            return response.Result is { } r && r.ValueKind != JsonValueKind.Null ? r.Deserialize<T>(ProtocolJson.Options) : default;
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        try
        {
            if (!_broken)
            {
                using var timeout = new CancellationTokenSource(DisposeTimeout);
                if (_leaseId is { } lease)
                    await CallAsync<JsonElement?>(Ops.LeaseRelease, new LeaseArgs { LeaseId = lease }, timeout.Token).ConfigureAwait(false);
                if (_autostopMode == "command")
                    await CallAsync<ShutdownResult>(Ops.ShutdownIfIdle, null, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is PrivilegedException or OperationCanceledException)
        {
            // Best effort: the lease also ends when the connection closes.
        }
        finally
        {
            _disposed = true;
            await _transport.DisposeAsync().ConfigureAwait(false);
            _gate.Dispose();
        }
    }

    private static PrivilegedException Lost(string why) =>
        new(ClientErrorCodes.Unavailable, $"connection to the privileged daemon was lost ({why}); run the command again");

    private static PrivilegedException Protocol(string why) =>
        new(ErrorCodes.BadFrame, $"privileged daemon sent an unexpected answer: {why}");
}
