using System.Text;
using System.Text.Json;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Daemon;

/// <summary>
/// Serves one client: reads frames, answers each request in order. A malformed request gets an error
/// response and the connection carries on; a broken frame (truncated, over the size limit) ends the
/// connection, since the stream can no longer be trusted to be in step. A peer that is not authorized
/// gets one denial and is disconnected, without any of its request being acted on.
/// </summary>
public sealed class ConnectionHandler(RequestHandler handler, DaemonLifecycle lifecycle, DaemonLog log)
{
    public RequestHandler Handler => handler;

    /// <summary>Frames from a peer that is not authorized are read only this far, to answer it by id.</summary>
    public const int UnauthorizedMaxBytes = 64 << 10;

    private static readonly TimeSpan UnauthorizedReadTimeout = TimeSpan.FromSeconds(5);
    private long _malformed;
    private readonly LogBudget _denied = new(log, "denied-peer");
    private readonly LogBudget _failed = new(log, "failed-request");

    /// <summary>How long an authorized client may stay silent between requests before it is hung up on.</summary>
    public TimeSpan IdleReadTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the body of a frame may take to arrive once its header has: a stalled frame must not hold its buffer.</summary>
    public TimeSpan FrameReadTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs <c>exec</c> requests, which take their connection over; null where exec is not offered.</summary>
    public ExecSession? Exec { get; init; }

    /// <summary>Requests refused as malformed or invalid since start (for the log at exit).</summary>
    public long MalformedCount => Interlocked.Read(ref _malformed);

    /// <param name="socket">The client's socket when it is one (descriptors can pass over it), else null.</param>
    public async Task ServeAsync(Stream input, Stream output, long connectionId, PeerCredentials? peer, bool authorized, System.Net.Sockets.Socket? socket = null)
    {
        lifecycle.ConnectionOpened();
        try
        {
            if (!authorized)
            {
                await DenyAsync(input, output, peer).ConfigureAwait(false);
                return;
            }
            await LoopAsync(input, output, connectionId, peer, socket).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The peer went away or the daemon is stopping: nothing to answer.
        }
        finally
        {
            await ReleaseAsync(connectionId).ConfigureAwait(false);
            lifecycle.ConnectionClosed(connectionId);
        }
    }

    private async Task ReleaseAsync(long connectionId)
    {
        try
        {
            await handler.ConnectionClosedAsync(connectionId).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Error($"closing the firewall holes of connection {connectionId} failed: {e.GetType().Name}: {OneLine(e.Message)}");
        }
    }

    private async Task LoopAsync(Stream input, Stream output, long connectionId, PeerCredentials? peer, System.Net.Sockets.Socket? socket)
    {
        var stopping = lifecycle.Stopping;
        while (!stopping.IsCancellationRequested)
        {
            Frame? frame;
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            idle.CancelAfter(IdleReadTimeout);
            try
            {
                frame = await MessageFraming.ReadAsync(input, idle.Token, bodyTimeout: FrameReadTimeout).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                _failed.Warn($"hung up on {Who(peer)}: no complete request within {(idle.IsCancellationRequested ? IdleReadTimeout : FrameReadTimeout).TotalSeconds:0} s");
                return;
            }
            catch (PrivilegedException e)
            {
                Interlocked.Increment(ref _malformed);
                // Too large or truncated: answer if the peer still listens, then hang up.
                await TryWriteAsync(output, Error(0, e.Code, e.Message)).ConfigureAwait(false);
                return;
            }
            if (frame is null) return;

            lifecycle.RequestStarted();
            try
            {
                Response? response;
                using (frame)
                    response = await AnswerAsync(frame, connectionId, peer, socket, output).ConfigureAwait(false);
                // An exec request owned the connection: answered there, and the connection ends with it.
                if (response is null) return;
                await WriteAsync(output, response, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                lifecycle.RequestFinished();
            }
        }
    }

    private async Task<Response?> AnswerAsync(Frame frame, long connectionId, PeerCredentials? peer, System.Net.Sockets.Socket? socket, Stream output)
    {
        ParsedRequest request;
        try
        {
            request = RequestParser.Parse(frame.Payload);
        }
        catch (RequestException e)
        {
            var n = Interlocked.Increment(ref _malformed);
            // Bad input is counted, and logged sparingly, so a flood of it cannot flood the log.
            if (n <= 20 || n % 1000 == 0) log.Warn($"refused request #{n} from {Who(peer)}: {e.Code}: {e.Message}");
            return Error(e.Id, e.Code, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The parser refuses through RequestException; anything else is a gap in it, still answered as bad input.
            Interlocked.Increment(ref _malformed);
            log.Error($"parser failed on a request from {Who(peer)}: {e.GetType().Name}");
            return Error(0, ErrorCodes.BadFrame, "malformed message");
        }

        if (request.Op == Ops.Exec) return await ExecAsync(request, peer, socket, output).ConfigureAwait(false);
        try
        {
            var result = await handler.HandleAsync(request, connectionId, peer, CancellationToken.None).ConfigureAwait(false);
            return new Response { Id = request.Id, Ok = true, Result = RequestHandler.ToElement(result) };
        }
        catch (PrivilegedException e)
        {
            _failed.Warn($"{request.Op} by {Who(peer)} failed: {e.Code}: {OneLine(e.Message)}");
            return Error(request.Id, e.Code, e.Message);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log.Error($"{request.Op} by {Who(peer)} failed: {e.GetType().Name}: {OneLine(e.Message)}");
            return Error(request.Id, ErrorCodes.Failed, $"{request.Op} failed: {e.Message}");
        }
    }

    /// <summary>Runs an exec request to its end; an error is answered, then the connection ends either way.</summary>
    private async Task<Response?> ExecAsync(ParsedRequest request, PeerCredentials? peer, System.Net.Sockets.Socket? socket, Stream output)
    {
        if (Exec is null) return Error(request.Id, ErrorCodes.NotImplemented, "this daemon does not run programs in exits");
        try
        {
            await Exec.RunAsync(request.Id, (ExecArgs)request.Args!, peer, socket, output, lifecycle.Stopping).ConfigureAwait(false);
        }
        catch (PrivilegedException e)
        {
            _failed.Warn($"{request.Op} by {Who(peer)} failed: {e.Code}: {OneLine(e.Message)}");
            await TryWriteAsync(output, Error(request.Id, e.Code, e.Message)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ArgumentException or IOException or InvalidOperationException)
        {
            log.Error($"{request.Op} by {Who(peer)} failed: {e.GetType().Name}: {OneLine(e.Message)}");
            await TryWriteAsync(output, Error(request.Id, ErrorCodes.Failed, $"exec failed: {e.Message}")).ConfigureAwait(false);
        }
        return null;
    }

    private async Task DenyAsync(Stream input, Stream output, PeerCredentials? peer)
    {
        _denied.Warn($"denied {Who(peer)}: not root and not in the authorized group");
        long id = 0;
        using var timeout = new CancellationTokenSource(UnauthorizedReadTimeout);
        try
        {
            using var frame = await MessageFraming.ReadAsync(input, timeout.Token, UnauthorizedMaxBytes).ConfigureAwait(false);
            if (frame is null) return;
            try
            {
                using var doc = JsonDocument.Parse(frame.Payload);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("id", out var e)
                    && e.ValueKind == JsonValueKind.Number) e.TryGetInt64(out id);
            }
            catch (JsonException) { }
        }
        catch (PrivilegedException) { }
        await TryWriteAsync(output, Error(id, ErrorCodes.Unauthorized, Authorizer.DeniedMessage)).ConfigureAwait(false);
    }

    private static Response Error(long id, string code, string message) =>
        new() { Id = id, Ok = false, Error = new ErrorInfo(code, OneLine(message)) };

    private static async Task WriteAsync(Stream output, Response response, CancellationToken ct)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(response, ProtocolJson.Options);
        await MessageFraming.WriteAsync(output, bytes, ct).ConfigureAwait(false);
    }

    private static async Task TryWriteAsync(Stream output, Response response)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await WriteAsync(output, response, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { }
    }

    /// <summary>One printable line, bounded: error messages go to clients and logs as a single line.</summary>
    public static string OneLine(string message)
    {
        var sb = new StringBuilder(Math.Min(message.Length, 500));
        foreach (var c in message.Length > 500 ? message[..500] : message)
            sb.Append(char.IsControl(c) ? ' ' : c);
        return sb.ToString().Trim();
    }

    private static string Who(PeerCredentials? peer) => peer is null ? "stdio client" : $"uid {peer.Uid} (pid {peer.Pid})";
}
