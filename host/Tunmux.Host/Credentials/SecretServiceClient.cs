using System.Text;
using Tmds.DBus.Protocol;

namespace Tunmux.Host.Credentials;

/// <summary>
/// One conversation with the freedesktop Secret Service (org.freedesktop.secrets) on the session bus:
/// a connection, an encrypted transfer session, and the handful of calls the store needs. Every call is
/// bounded by a timeout, so a bus that does not answer becomes an error instead of a hang.
/// </summary>
internal sealed class SecretServiceClient : IAsyncDisposable
{
    private const string BusName = "org.freedesktop.secrets";
    private const string ServicePath = "/org/freedesktop/secrets";
    private const string ServiceInterface = "org.freedesktop.Secret.Service";
    private const string CollectionInterface = "org.freedesktop.Secret.Collection";
    private const string ItemInterface = "org.freedesktop.Secret.Item";
    private const string SessionInterface = "org.freedesktop.Secret.Session";
    private const string PropertiesInterface = "org.freedesktop.DBus.Properties";
    private const string NoObject = "/";
    private const string ContentType = "text/plain; charset=utf8";

    private delegate void BodyWriter(ref MessageWriter writer);

    private readonly DBusConnection _connection;
    private readonly string _address;
    private readonly TimeSpan _timeout;
    private readonly CancellationToken _cancellation;
    private string _session = NoObject;
    private SecretTransport? _transport;

    private SecretServiceClient(DBusConnection connection, string address, TimeSpan timeout, CancellationToken cancellation)
    {
        _connection = connection;
        _address = address;
        _timeout = timeout;
        _cancellation = cancellation;
    }

    /// <summary>The algorithm the session ended up with (<c>dh-ietf1024-sha256-aes128-cbc-pkcs7</c> or <c>plain</c>).</summary>
    public string Algorithm => _transport is null ? "plain" : SecretTransport.Algorithm;

    /// <summary>Connects to the bus at <paramref name="address"/> and opens a transfer session, preferring the encrypted one.</summary>
    public static async Task<SecretServiceClient> OpenAsync(string address, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var connection = new DBusConnection(address);
        var client = new SecretServiceClient(connection, address, timeout, cancellationToken);
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(timeout, cancellationToken);
            await client.OpenSessionAsync();
            return client;
        }
        catch (TimeoutException e)
        {
            connection.Dispose();
            throw SecretServiceErrors.NotAnswering(address, timeout, e);
        }
        catch (DBusExceptionBase e) when (e is not DBusErrorReplyException)
        {
            connection.Dispose();
            throw SecretServiceErrors.NoBus(address, e);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task OpenSessionAsync()
    {
        var transport = SecretTransport.Create();
        try
        {
            var (output, session) = await CallAsync(ServicePath, ServiceInterface, "OpenSession", "sv",
                (ref MessageWriter w) => { w.WriteString(SecretTransport.Algorithm); w.WriteVariant(VariantValue.Array(transport.PublicKey)); },
                (m, _) => { var r = m.GetBodyReader(); var v = r.ReadVariantValue(); return (v.GetArray<byte>(), r.ReadObjectPathAsString()); });
            transport.CompleteHandshake(output);
            _transport = transport;
            _session = session;
        }
        catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.DBus.Error.NotSupported")
        {
            // An implementation without the encrypted algorithm: the bus is local to the user, so plain is allowed by the spec.
            _session = await CallAsync(ServicePath, ServiceInterface, "OpenSession", "sv",
                (ref MessageWriter w) => { w.WriteString("plain"); w.WriteVariantString(""); },
                (m, _) => { var r = m.GetBodyReader(); r.ReadVariantValue(); return r.ReadObjectPathAsString(); });
        }
    }

    /// <summary>The default collection (alias <c>default</c>); throws the clear error when there is none or it is locked.</summary>
    public async Task<string> DefaultCollectionAsync()
    {
        var collection = await CallAsync(ServicePath, ServiceInterface, "ReadAlias", "s",
            (ref MessageWriter w) => w.WriteString("default"),
            (m, _) => m.GetBodyReader().ReadObjectPathAsString());
        if (collection == NoObject) throw SecretServiceErrors.NoDefaultCollection();

        var locked = await CallAsync(collection, PropertiesInterface, "Get", "ss",
            (ref MessageWriter w) => { w.WriteString(CollectionInterface); w.WriteString("Locked"); },
            (m, _) => m.GetBodyReader().ReadVariantValue().GetBool());
        if (locked) throw SecretServiceErrors.Locked();
        return collection;
    }

    /// <summary>Items matching every attribute: the unlocked ones and the locked ones.</summary>
    public Task<(string[] Unlocked, string[] Locked)> SearchAsync(IReadOnlyDictionary<string, string> attributes) =>
        CallAsync(ServicePath, ServiceInterface, "SearchItems", "a{ss}",
            (ref MessageWriter w) => WriteStringDictionary(ref w, attributes),
            (m, _) =>
            {
                var r = m.GetBodyReader();
                var unlocked = r.ReadArrayOfObjectPath().Select(p => p.ToString()).ToArray();
                var locked = r.ReadArrayOfObjectPath().Select(p => p.ToString()).ToArray();
                return (unlocked, locked);
            });

    /// <summary>Creates the item, replacing one with the same attributes.</summary>
    public async Task CreateItemAsync(string collection, string label, IReadOnlyDictionary<string, string> attributes, string value)
    {
        var plain = Encoding.UTF8.GetBytes(value);
        var (parameters, secret) = _transport is null ? ([], plain) : _transport.Encrypt(plain);
        var session = _session;
        try
        {
            var (_, prompt) = await CallAsync(collection, CollectionInterface, "CreateItem", "a{sv}(oayays)b",
                (ref MessageWriter w) =>
                {
                    var props = w.WriteDictionaryStart();
                    w.WriteDictionaryEntryStart();
                    w.WriteString("org.freedesktop.Secret.Item.Label");
                    w.WriteVariantString(label);
                    w.WriteDictionaryEntryStart();
                    w.WriteString("org.freedesktop.Secret.Item.Attributes");
                    w.WriteSignature("a{ss}"); // a variant is its signature followed by the value
                    WriteStringDictionary(ref w, attributes);
                    w.WriteDictionaryEnd(props);

                    w.WriteStructureStart();
                    w.WriteObjectPath(session);
                    w.WriteArray(parameters);
                    w.WriteArray(secret);
                    w.WriteString(ContentType);

                    w.WriteBool(true);
                },
                (m, _) => { var r = m.GetBodyReader(); return (r.ReadObjectPathAsString(), r.ReadObjectPathAsString()); });
            if (prompt != NoObject) throw await DismissedAsLockedAsync(prompt);
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain);
        }
    }

    /// <summary>The item's secret as text.</summary>
    public async Task<string> GetSecretAsync(string item)
    {
        var session = _session;
        var (parameters, value) = await CallAsync(item, ItemInterface, "GetSecret", "o",
            (ref MessageWriter w) => w.WriteObjectPath(session),
            (m, _) =>
            {
                var r = m.GetBodyReader();
                r.AlignStruct();
                r.ReadObjectPath();
                var p = r.ReadArrayOfByte();
                var v = r.ReadArrayOfByte();
                r.ReadString();
                return (p, v);
            });
        var plain = _transport is null ? value : _transport.Decrypt(parameters, value);
        try { return Encoding.UTF8.GetString(plain); }
        finally { System.Security.Cryptography.CryptographicOperations.ZeroMemory(plain); }
    }

    public async Task DeleteItemAsync(string item)
    {
        var prompt = await CallAsync(item, ItemInterface, "Delete", null, null,
            (m, _) => m.GetBodyReader().ReadObjectPathAsString());
        if (prompt != NoObject) throw await DismissedAsLockedAsync(prompt);
    }

    /// <summary>
    /// A prompt means the service wants the user to unlock something. A command line cannot show it, so it
    /// is dismissed and reported as a locked keyring with the fix.
    /// </summary>
    private async Task<Exception> DismissedAsLockedAsync(string prompt)
    {
        try { await CallAsync(prompt, "org.freedesktop.Secret.Prompt", "Dismiss", null, null, (_, _) => true); }
        catch (DBusErrorReplyException) { }
        return SecretServiceErrors.Locked();
    }

    private async Task<T> CallAsync<T>(string path, string @interface, string member, string? signature, BodyWriter? body, MessageValueReader<T> reader)
    {
        MessageBuffer message;
        var w = _connection.GetMessageWriter();
        try
        {
            w.WriteMethodCallHeader(BusName, path, @interface, member, signature);
            body?.Invoke(ref w);
            message = w.CreateMessage();
        }
        finally
        {
            w.Dispose();
        }
        try
        {
            return await _connection.CallMethodAsync(message, reader, null).WaitAsync(_timeout, _cancellation);
        }
        catch (TimeoutException e)
        {
            throw SecretServiceErrors.NotAnswering(_address, _timeout, e);
        }
        catch (DBusErrorReplyException e) when (e.ErrorName is "org.freedesktop.DBus.Error.ServiceUnknown" or "org.freedesktop.DBus.Error.NameHasNoOwner")
        {
            throw SecretServiceErrors.Absent(e);
        }
        catch (DBusErrorReplyException e) when (e.ErrorName == "org.freedesktop.Secret.Error.IsLocked")
        {
            throw SecretServiceErrors.Locked(e);
        }
        catch (DBusExceptionBase e) when (e is not DBusErrorReplyException)
        {
            throw SecretServiceErrors.NoBus(_address, e);
        }
    }

    private static void WriteStringDictionary(ref MessageWriter w, IReadOnlyDictionary<string, string> values)
    {
        var start = w.WriteDictionaryStart();
        foreach (var (key, value) in values)
        {
            w.WriteDictionaryEntryStart();
            w.WriteString(key);
            w.WriteString(value);
        }
        w.WriteDictionaryEnd(start);
    }

    public async ValueTask DisposeAsync()
    {
        if (_session != NoObject)
        {
            try
            {
                using var cts = new CancellationTokenSource(_timeout);
                await CallAsync<bool>(_session, SessionInterface, "Close", null, null, (_, _) => true).WaitAsync(cts.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or DBusExceptionBase or CredentialStoreException) { }
        }
        _transport?.Dispose();
        _connection.Dispose();
    }
}
