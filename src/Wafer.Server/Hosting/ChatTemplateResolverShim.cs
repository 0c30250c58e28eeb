using Wafer.Models.ChatTemplates;

namespace Wafer.Server.Hosting;

/// <summary>Resolves --chat-template FILE|NAME (NAME: chatml).</summary>
internal static class ChatTemplateResolverShim
{
    public static ChatTemplate Resolve(string fileOrName) =>
        fileOrName.Equals("chatml", StringComparison.OrdinalIgnoreCase) ? ChatTemplate.ChatMl
        : File.Exists(fileOrName) ? ChatTemplate.Parse(File.ReadAllText(fileOrName))
        : throw new FileNotFoundException($"--chat-template '{fileOrName}' is neither a file nor a known template name (chatml)");
}
