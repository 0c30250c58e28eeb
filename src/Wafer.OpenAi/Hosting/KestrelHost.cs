using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Wafer.OpenAi.Hosting;

/// <summary>Kestrel start-up shared by the server, the router and the fake OpenAI server: a slim builder, Wafer's console
/// logging (or none), the listen address, and the address actually bound once started.</summary>
public static class KestrelHost
{
    /// <summary>A slim builder listening on <paramref name="host"/>:<paramref name="port"/> (0 = any free port).</summary>
    /// <param name="host">An IP address, or a host name bound as Kestrel binds URLs (<c>localhost</c>: both loopbacks; others: all addresses).</param>
    /// <param name="consoleLogging">True: single-line console logs, warnings and up, Wafer's own at information. False: no logging.</param>
    /// <param name="logging">Further logging set-up, applied last (tests capture logs this way).</param>
    /// <param name="kestrel">Limits and other Kestrel options.</param>
    public static WebApplicationBuilder CreateBuilder(string host, int port, bool consoleLogging,
        Action<ILoggingBuilder>? logging = null, Action<KestrelServerOptions>? kestrel = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (consoleLogging)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Logging.AddFilter("Wafer", LogLevel.Information);
        }
        logging?.Invoke(builder.Logging);
        if (kestrel != null) builder.WebHost.ConfigureKestrel(kestrel);
        if (IPAddress.TryParse(host, out var address)) builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        else builder.WebHost.UseUrls($"http://{host}:{port}");
        return builder;
    }

    /// <summary>Starts the application and returns the address it listens on, e.g. http://127.0.0.1:51234/.</summary>
    public static async Task<Uri> StartAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }
}
