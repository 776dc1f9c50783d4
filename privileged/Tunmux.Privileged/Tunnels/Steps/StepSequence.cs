using System.Runtime.ExceptionServices;

namespace Tunmux.Privileged.Tunnels.Steps;

/// <summary>A step that failed; every step before it has been undone.</summary>
internal sealed class StepFailedException(string step, Exception inner) : Exception(inner.Message, inner)
{
    public string Step { get; } = step;
}

/// <summary>
/// Runs a plan of <see cref="TunnelStep"/>s as a transaction, for the daemon's exits and for
/// rootless ones alike: each completed step is undone, in reverse, when a later one fails.
/// </summary>
internal static class StepSequence
{
    /// <summary>
    /// Runs <paramref name="steps"/> from index <paramref name="from"/> (earlier ones are already done).
    /// On failure everything done is undone and <see cref="StepFailedException"/> names the step; a
    /// cancellation is rethrown as it came. <paramref name="failBefore"/> injects a failure and
    /// <paramref name="crashBefore"/> a crash of the whole process (tests).
    /// </summary>
    public static async Task RunAsync(IReadOnlyList<TunnelStep> steps, int from, TunnelContext context, int? failBefore,
        CancellationToken ct, int? crashBefore = null)
    {
        var done = from;
        try
        {
            for (; done < steps.Count; done++)
            {
                if (crashBefore == done) Environment.Exit(70);
                if (failBefore == done)
                    throw new CommandFailedException($"injected failure before step {steps[done].Name}");
                await steps[done].Do(context, ct);
            }
            if (failBefore == steps.Count) throw new CommandFailedException("injected failure after the last step");
        }
        catch (Exception e)
        {
            // Whatever went wrong (a command, a file, cancellation, a bug), nothing is left half-done.
            var failedStep = done < steps.Count ? steps[done].Name : "done";
            context.RollingBack = true;
            await UndoAsync(context, steps.Take(done).Reverse());
            if (e is OperationCanceledException) ExceptionDispatchInfo.Throw(e);
            throw new StepFailedException(failedStep, e);
        }
    }

    /// <summary>Runs every undo, whatever fails on the way: leaving one thing behind is better than leaving all.</summary>
    public static async Task UndoAsync(TunnelContext context, IEnumerable<TunnelStep> steps)
    {
        foreach (var step in steps)
        {
            try
            {
                await step.Undo(context, CancellationToken.None);
            }
#pragma warning disable CA1031 // every undo must get its chance, whatever the previous one threw
            catch (Exception)
#pragma warning restore CA1031
            {
                // Keep undoing; the caller checks what is left and says so.
            }
        }
    }
}
