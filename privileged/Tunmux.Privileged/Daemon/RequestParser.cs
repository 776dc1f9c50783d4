using System.Text;
using System.Text.Json;
using Tunmux.Privileged.Protocol;

namespace Tunmux.Privileged.Daemon;

/// <summary>A request that parsed and validated: its operation and its typed, checked arguments.</summary>
public sealed record ParsedRequest(long Id, string Op, object? Args);

/// <summary>
/// Turns one frame into a <see cref="ParsedRequest"/>, strictly: the JSON must be one object of the
/// current protocol version naming a known operation, with exactly that operation's fields (unknown or
/// duplicated fields, wrong types and missing required fields are errors), and the arguments must pass
/// <see cref="RequestValidator"/>. Nothing here touches the system.
/// </summary>
public static class RequestParser
{
    /// <summary><see cref="ProtocolJson.Options"/>, plus: a field given twice is an error (never "last one wins").</summary>
    public static readonly JsonSerializerOptions Options = new(ProtocolJson.Options) { AllowDuplicateProperties = false };

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 16, AllowDuplicateProperties = false };

    /// <summary>Parses and validates; throws <see cref="RequestException"/> carrying the id when it could be read.</summary>
    public static ParsedRequest Parse(ReadOnlyMemory<byte> utf8)
    {
        Request request;
        try
        {
            request = JsonSerializer.Deserialize<Request>(utf8.Span, Options)
                ?? throw new PrivilegedException(ErrorCodes.BadFrame, "message is JSON null, expected an object");
        }
        catch (JsonException e)
        {
            throw new RequestException(TryReadId(utf8), ErrorCodes.BadFrame, "malformed message: " + Describe(e));
        }
        catch (PrivilegedException e)
        {
            throw new RequestException(0, e.Code, e.Message);
        }

        try
        {
            if (request.V != ProtocolInfo.Version)
                throw new PrivilegedException(ErrorCodes.VersionMismatch,
                    $"protocol version {request.V} not supported; this daemon speaks version {ProtocolInfo.Version} (restart the daemon after upgrading tunmux)");
            return new ParsedRequest(request.Id, request.Op, ParseArgs(request.Op, request.Args));
        }
        catch (PrivilegedException e)
        {
            throw new RequestException(request.Id, e.Code, e.Message);
        }
    }

    private static object? ParseArgs(string op, JsonElement? args)
    {
        switch (op)
        {
            case Ops.Ping:
            case Ops.Version:
            case Ops.ShutdownIfIdle:
            case Ops.FirewallStatus:
                NoArgs(op, args);
                return null;
            case Ops.TunnelList:
                return OptionalTyped<TunnelListArgs>(args) ?? new TunnelListArgs();
            case Ops.TunnelUp:
            {
                var a = Typed<TunnelUpArgs>(op, args);
                RequestValidator.Validate(a);
                return a;
            }
            case Ops.TunnelDown:
            case Ops.TunnelInspect:
            case Ops.TunnelWg:
            {
                var a = Typed<InstanceArgs>(op, args);
                RequestValidator.Validate(a);
                return a;
            }
            case Ops.KillPid:
            {
                var a = Typed<KillPidArgs>(op, args);
                RequestValidator.Validate(a);
                return a;
            }
            case Ops.Exec:
            {
                var a = Typed<ExecArgs>(op, args);
                RequestValidator.Validate(a);
                return a;
            }
            case Ops.LockdownSet:
            {
                var a = Typed<LockdownArgs>(op, args);
                RequestValidator.Validate(a);
                return a;
            }
            case Ops.FirewallAllowApi:
            {
                var a = Typed<AllowApiArgs>(op, args);
                RequestValidator.Validate(a);
                return a;
            }
            case Ops.LeaseAcquire:
            {
                var a = OptionalTyped<LeaseArgs>(args) ?? new LeaseArgs();
                RequestValidator.Validate(a, required: false);
                return a;
            }
            case Ops.LeaseRelease:
            {
                var a = Typed<LeaseArgs>(op, args);
                RequestValidator.Validate(a, required: true);
                return a;
            }
            default:
                throw new PrivilegedException(ErrorCodes.UnknownOperation, $"unknown operation {RequestValidator.Preview(op)}");
        }
    }

    private static void NoArgs(string op, JsonElement? args)
    {
        if (args is not { } e || e.ValueKind == JsonValueKind.Null) return;
        if (e.ValueKind == JsonValueKind.Object && !e.EnumerateObject().Any()) return;
        throw new PrivilegedException(ErrorCodes.InvalidArgument, $"invalid argument: operation {op} takes no arguments");
    }

    private static T Typed<T>(string op, JsonElement? args) where T : class =>
        OptionalTyped<T>(args) ?? throw new PrivilegedException(ErrorCodes.InvalidArgument, $"invalid argument: operation {op} needs arguments");

    private static T? OptionalTyped<T>(JsonElement? args) where T : class
    {
        if (args is not { } e || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind != JsonValueKind.Object)
            throw new PrivilegedException(ErrorCodes.InvalidArgument, "invalid argument: args must be an object");
        try
        {
            return e.Deserialize<T>(Options);
        }
        catch (JsonException ex)
        {
            throw new PrivilegedException(ErrorCodes.InvalidArgument, "invalid argument: " + Describe(ex));
        }
    }

    /// <summary>The request id, when the message is at least an object with a numeric "id", so the error can name it.</summary>
    private static long TryReadId(ReadOnlyMemory<byte> utf8)
    {
        try
        {
            using var doc = JsonDocument.Parse(utf8, DocumentOptions);
            return doc.RootElement.ValueKind == JsonValueKind.Object
                   && doc.RootElement.TryGetProperty("id", out var id)
                   && id.ValueKind == JsonValueKind.Number
                   && id.TryGetInt64(out var value) ? value : 0;
        }
        catch (JsonException)
        {
            return 0;
        }
    }

    /// <summary>
    /// The parser's reason as a short phrase and the JSON path, on one printable line. The runtime's own text is
    /// not passed on: it may be a bare resource key in trimmed builds, and it may quote names a peer made up.
    /// </summary>
    private static string Describe(JsonException e)
    {
        var text = e.Message;
        bool Has(string s) => text.Contains(s, StringComparison.OrdinalIgnoreCase);
        var reason =
            Has("unmapped") || Has("could not be mapped") ? "unknown field" :
            Has("duplicate") ? "field given twice" :
            Has("required") ? "missing required field" :
            Has("depth") ? "nested too deeply" :
            e.Path is null || e.Path == "$" && e.BytePositionInLine is not null ? "not valid JSON" :
            "wrong type or invalid value";
        if (e.Path is not { Length: > 0 } path) return reason;
        var sb = new StringBuilder(reason).Append(" (at ");
        foreach (var c in path.Length > 80 ? path[..80] : path) sb.Append(c is >= ' ' and < (char)0x7f ? c : '?');
        return sb.Append(')').ToString();
    }
}

/// <summary>A request the daemon refuses, with the id to answer it under.</summary>
public sealed class RequestException(long id, string code, string message) : Exception(message)
{
    public long Id { get; } = id;
    public string Code { get; } = code;
}
