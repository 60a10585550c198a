using System.Buffers;
using System.Numerics;
using System.Numerics.Tensors;

namespace GdTrainer.Autograd;

/// <summary>
/// Runs a backward pass: sorts the graph below a tensor topologically, seeds the output gradient,
/// calls each node's backward in reverse order, and frees the graph unless asked to retain it.
/// The work lists are per thread and reused, so a backward pass allocates only the leaves'
/// gradients on first use.
/// </summary>
internal static class BackwardEngine<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic]
    private static List<Node<T>>? t_order;

    [ThreadStatic]
    private static Stack<(Node<T> Node, bool Expanded)>? t_pending;

    // Shared by all threads: a graph retained by a pass on one thread may be walked again on another
    // (after an await), and a per-thread counter could then repeat the stamp its nodes already carry.
    private static int s_stamp;

    internal static void Run(Tensor<T> root, Tensor<T>? gradient, bool retainGraph)
    {
        if (!root.RequiresGrad)
        {
            throw new InvalidOperationException(
                $"Backward() was called on {root.Describe()}, which does not require grad: none of the tensors it was computed from " +
                "has RequiresGrad = true, or it was computed inside Autograd.NoGrad().");
        }

        if (root.IsMemoryReturned)
        {
            _ = root.Data; // Throws the pooled-memory error: the graph's saved values were reused.
        }

        if (gradient is null && root.Length != 1)
        {
            throw new InvalidOperationException(
                $"Backward() without a gradient needs a scalar, but it was called on {root.Describe()} with {root.Length} elements. " +
                "Reduce it first (Sum(), Mean()) or pass the output gradient: Backward(gradient).");
        }

        if (gradient is not null && !gradient.Shape.SequenceEqual(root.Shape))
        {
            throw new ArgumentException(
                $"The gradient passed to Backward() has shape {Shapes.Format(gradient.Shape)}, but {root.Describe()} has shape {Shapes.Format(root.Shape)}.",
                nameof(gradient));
        }

        List<Node<T>> order = t_order ??= new List<Node<T>>();
        order.Clear();
        try
        {
            if (root.GradFn is not null)
            {
                SortTopologically(root.GradFn, order);
            }

            Span<T> seed = root.GradientTarget();
            if (gradient is null)
            {
                seed[0] += T.One;
            }
            else
            {
                TensorPrimitives.Add(seed, gradient.Data, seed);
            }

            for (int i = order.Count - 1; i >= 0; i--)
            {
                Node<T> node = order[i];
                T[]? buffer = node.GradientBuffer;
                if (buffer is null)
                {
                    continue; // No gradient reached this node (its consumers did not need it).
                }

                node.Backward(buffer.AsSpan(0, node.OutputLength));
                node.GradientBuffer = null;
                ArrayPool<T>.Shared.Return(buffer);
                if (!retainGraph)
                {
                    node.Release();
                }
            }
        }
        finally
        {
            // After a failure part-way, give back the buffers of the nodes that never ran.
            foreach (Node<T> node in order)
            {
                if (node.GradientBuffer is { } leftover)
                {
                    node.GradientBuffer = null;
                    ArrayPool<T>.Shared.Return(leftover);
                }
            }

            order.Clear();
        }
    }

    /// <summary>Fills <paramref name="order"/> with the nodes reachable from <paramref name="root"/>, every node after all nodes it feeds.</summary>
    private static void SortTopologically(Node<T> root, List<Node<T>> order)
    {
        int stamp = Interlocked.Increment(ref s_stamp);
        Stack<(Node<T> Node, bool Expanded)> pending = t_pending ??= new Stack<(Node<T>, bool)>();
        pending.Clear();
        pending.Push((root, false));
        while (pending.Count > 0)
        {
            (Node<T> node, bool expanded) = pending.Pop();
            if (expanded)
            {
                order.Add(node);
                continue;
            }

            if (node.VisitStamp == stamp)
            {
                continue;
            }

            if (node.IsReleased)
            {
                throw new InvalidOperationException(
                    $"Trying to backward through the graph a second time: the values saved by {node.Name} were freed by the previous Backward(). " +
                    "Pass retainGraph: true to the first Backward() if you need to call it again, or recompute the forward pass.");
            }

            node.VisitStamp = stamp;
            pending.Push((node, true));
            PushInput(node.ThirdInput, pending, stamp);
            PushInput(node.SecondInput, pending, stamp);
            PushInput(node.FirstInput, pending, stamp);
        }
    }

    private static void PushInput(Tensor<T>? input, Stack<(Node<T> Node, bool Expanded)> pending, int stamp)
    {
        if (input?.GradFn is { } inputNode && inputNode.VisitStamp != stamp)
        {
            pending.Push((inputNode, false));
        }
    }
}
