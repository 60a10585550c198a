namespace GdTrainer.MLNet;

using System.Globalization;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;
using GdTrainer.Training;
using Microsoft.Extensions.Logging;
using Microsoft.ML;

/// <summary>
/// The options every GdTrainer trainer shares: the model (linear by default, hidden layers with <see cref="HiddenLayers"/>,
/// any module with <see cref="ModelFactory"/>), the loss, the optimizer and its learning rate and schedule, the epochs and
/// stopping rules, validation and early stopping, logging and progress. The task's trainer adds its own (the
/// regression trainer's <see cref="GradientDescentRegressionTrainer.Options"/>).
/// </summary>
/// <remarks>
/// <para>Several defaults depend on the model, because what converges for one does not for the other:</para>
/// <list type="table">
/// <listheader><term>Option (null = model default)</term><description>Linear model / hidden layers (why)</description></listheader>
/// <item><term><see cref="Optimizer"/></term><description>plain SGD / Adam. The mean squared error of a linear model is a quadratic whose
/// curvature the trainer measures, so plain SGD with a derived rate reaches the optimum; an MLP's loss surface has no such bound,
/// and Adam's per-parameter scaling is the usual default (scikit-learn's <c>MLPRegressor</c>, Keras).</description></item>
/// <item><term><see cref="LearningRate"/></term><description>derived from the data / the optimizer's default (1e-3 for Adam).</description></item>
/// <item><term><see cref="NumberOfEpochs"/></term><description>1000 / 200 (scikit-learn's <c>max_iter</c>): a linear model converges in
/// a few epochs on large data and needs hundreds of 2-step epochs on small ill-conditioned data; an MLP epoch costs far more.</description></item>
/// <item><term><see cref="ConvergenceTolerance"/></term><description>1e-9 / 1e-4 (scikit-learn's <c>tol</c>): the linear model must come
/// within 1e-4 of the closed-form weights (1e-4 for the classification trainers' linear model, which has no closed form); an MLP has no such optimum to reach and its loss keeps creeping down.</description></item>
/// <item><term><see cref="Patience"/></term><description>2 / 10 (scikit-learn's <c>n_iter_no_change</c>): an MLP's epoch loss is noisier.</description></item>
/// <item><term><see cref="LearningRateSchedule"/></term><description>Adaptive / Constant: growing the batch removes SGD's noise at the
/// optimum of a convex loss; an MLP is trained at a constant rate (or with <see cref="LearningRateScheduler"/>).</description></item>
/// <item><term><see cref="L2Regularization"/></term><description>0, except <c>1 / n</c> for the binary and multiclass linear model (n training
/// rows; indicator columns penalised per unit): the classifiers' unpenalised optimum on small or separable data has extreme weights and
/// overconfident probabilities (DefaultRegularization, docs/benchmarks.md "Issue 19").</description></item>
/// </list>
/// </remarks>
public abstract class GradientDescentTrainerOptions
{
    /// <summary>
    /// The sizes of the hidden layers, input side first, each at least 1: <c>[64, 64]</c> trains a multilayer perceptron
    /// with two hidden layers of 64 units and <see cref="Activation"/> between the layers. Default: empty, the linear model.
    /// Ignored when <see cref="ModelFactory"/> is set.
    /// </summary>
    public int[] HiddenLayers = [];

    /// <summary>The activation after each hidden layer. Default: <see cref="Models.Activation.Relu"/>.</summary>
    public Activation Activation = Activation.Relu;

    /// <summary>
    /// The probability of zeroing each hidden unit during training (PyTorch's <c>nn.Dropout(p)</c> after each hidden
    /// activation; off when scoring), in [0, 1). Default: 0. Needs <see cref="HiddenLayers"/>.
    /// </summary>
    public float Dropout;

    /// <summary>
    /// Builds the model from the number of features and of outputs (1 for regression), for an architecture of the library's
    /// modules (<see cref="Sequential"/>, <see cref="Linear"/>, activations, <see cref="Models.Dropout"/>, ...) or a user's
    /// own <see cref="Module"/>. It must return a new module whose <c>Forward</c> maps <c>[n, features]</c> to <c>[n]</c> or
    /// <c>[n, outputs]</c>. Standardisation is folded into its first <see cref="Linear"/> layer when it starts with one. A model with
    /// a module type the save format cannot describe trains and scores, but saving it fails with an error naming the type.
    /// Default: null (the linear model or <see cref="HiddenLayers"/>).
    /// </summary>
    public Func<int, int, Module>? ModelFactory;

    /// <summary>
    /// The training loss: any <see cref="Losses.Loss"/>, a user's own subclass included (it needs no backward code). Its
    /// <c>Compute</c> receives the model's outputs (<c>[n]</c> for regression), the labels and the example weights of a batch.
    /// Default: null, the task's loss (<see cref="MeanSquaredErrorLoss"/> for regression).
    /// </summary>
    public Loss? Loss;

    /// <summary>
    /// The optimizer (<see cref="OptimizerSettings.Sgd"/>, <see cref="OptimizerSettings.Adam"/>, <see cref="OptimizerSettings.AdamW"/>,
    /// <see cref="OptimizerSettings.RmsProp"/>, <see cref="OptimizerSettings.Adagrad"/> or <see cref="OptimizerSettings.Custom"/>).
    /// Default: null, which is plain SGD for the linear model and Adam with hidden layers or a <see cref="ModelFactory"/>.
    /// </summary>
    public OptimizerSettings? Optimizer;

    /// <summary>
    /// A learning-rate scheduler, stepped after every epoch or every batch (see <see cref="SchedulerSettings"/>). Default: null
    /// (the rate follows <see cref="LearningRateSchedule"/>).
    /// </summary>
    public SchedulerSettings? LearningRateScheduler;

    /// <summary>
    /// Clips the gradient's global 2-norm over all parameters to this value before every step
    /// (PyTorch's <c>clip_grad_norm_</c>); positive. Default: null (no clipping).
    /// </summary>
    public float? MaxGradientNorm;

    /// <summary>
    /// The fraction of the training rows held out, at random (seeded by <see cref="Seed"/>), to measure a validation loss after
    /// every epoch, in [0, 1); 0 holds out none. Default: null, which is 0 for dense features and, for a sparse feature column
    /// wider than 1,024 slots (text) when <see cref="EarlyStopping"/> is not set either, 0.1 with early stopping after 3 epochs
    /// without improvement: such data is nearly separable, and its training loss keeps falling long after the held-out loss has
    /// turned (set 0 to train on every row by the training-loss rule instead). Ignored by <c>Fit(trainData, validationData)</c>,
    /// which uses the data it is given. The standardisation statistics are computed on all rows read, the held-out ones included.
    /// </summary>
    public float? ValidationFraction;

    /// <summary>
    /// Stops training when the validation loss stops improving, and by default restores the best epoch's weights (see
    /// <see cref="Training.EarlyStopping"/>). Needs validation data. Default: null (no early stopping).
    /// </summary>
    public EarlyStopping? EarlyStopping;

    /// <summary>Receives one <see cref="EpochReport"/> per epoch, on the training thread (for a UI's progress bar or chart). Default: null.</summary>
    public IProgress<EpochReport>? Progress;

    /// <summary>A <see cref="BatchSize"/> that means full-batch gradient descent: one step per epoch over all rows.</summary>
    public const int FullBatch = int.MaxValue;

    /// <summary>The label column: Single. Default: <c>"Label"</c>.</summary>
    public string LabelColumnName = "Label";

    /// <summary>The feature column: a known-size vector of Single, or a Single scalar. Default: <c>"Features"</c>.</summary>
    public string FeatureColumnName = "Features";

    /// <summary>
    /// The optional example-weight column (Single, positive): the loss becomes <c>sum(w_i r_i^2) / sum(w_i)</c>.
    /// Rows with a weight that is zero, negative, NaN or infinite are skipped and counted (or an error, see <see cref="InvalidRows"/>).
    /// Default: null (every row weighs 1).
    /// </summary>
    public string? ExampleWeightColumnName;

    /// <summary>
    /// The SGD step size (positive and finite), or null to derive it from the data. Default: null. The derived rate is
    /// <c>1 / (lambda_max(H) + 2 max ||a||^2 / BatchSize)</c>, where <c>H = 2 A^T W A / sum(W)</c> is the Hessian of the
    /// mean squared error over the rows <c>a</c> as trained (after <see cref="FeatureStandardization"/>, plus the bias column),
    /// <c>lambda_max</c> estimated on up to 4,096 rows: half the largest stable full-batch step, less for small batches,
    /// where one extreme row adds <c>2 ||a||^2 / BatchSize</c> of curvature to the batch that holds it. With standardised features <c>lambda_max(H)</c> is twice the largest eigenvalue
    /// of the features' correlation matrix: 2 for uncorrelated features, 12.2 for housing.txt (so 0.16 is its largest
    /// stable full-batch rate), up to <c>2 d</c> for d strongly correlated ones. When <see cref="LearningRateSchedule.Adaptive"/>
    /// grows the batch, the rate is derived again for the new batch size (the extreme-row term shrinks). Set a value to reproduce a fixed-rate
    /// run (the seed example uses 0.01 on raw features).
    /// </summary>
    public float? LearningRate;

    /// <summary>
    /// How the learning rate and batch change: <see cref="LearningRateSchedule.Adaptive"/> keeps the rate and grows the
    /// batch tenfold at each plateau (at most 3 times, up to every row; the next plateau ends training); this removes the
    /// mini-batch noise that a constant rate leaves in the weights, so training reaches the optimum of its objective.
    /// <see cref="LearningRateSchedule.Constant"/> keeps it (PyTorch's plain loop); <see cref="LearningRateSchedule.Cosine"/>
    /// anneals it towards 0 over <see cref="NumberOfEpochs"/>, step by step. Default: null, which is <see cref="Optimizers.LearningRateSchedule.Adaptive"/>
    /// for the linear model and <see cref="Optimizers.LearningRateSchedule.Constant"/> with hidden layers. With <see cref="LearningRateScheduler"/>
    /// set, it must be Constant or Adaptive (the scheduler sets the rate; Adaptive still grows the batch).
    /// The logged learning rate is the one of the epoch's last step.
    /// </summary>
    public LearningRateSchedule? LearningRateSchedule;

    /// <summary>
    /// How the features are transformed for training; the transform is folded back into the weights and bias, so the model
    /// scores the raw features. <see cref="Training.FeatureStandardization.CenterAndScale"/> (standardise: centre by the
    /// weighted mean, divide by the standard deviation, leave zero-variance columns alone) makes one learning rate suit
    /// every feature and needs no normaliser in the pipeline; <see cref="Training.FeatureStandardization.Center"/> only
    /// centres; <see cref="Training.FeatureStandardization.None"/> trains on the values as given (plain SGD, as PyTorch's
    /// loop). With standardisation, the bias starts at the weighted label mean, its optimum. Note that
    /// <see cref="L2Regularization"/> then penalises the weights of the standardised features (as scikit-learn's
    /// <c>StandardScaler</c> followed by <c>Ridge</c>). Default: <see cref="Training.FeatureStandardization.CenterAndScale"/>.
    /// </summary>
    public FeatureStandardization FeatureStandardization = FeatureStandardization.CenterAndScale;

    /// <summary>
    /// The most passes over the data (at least 1); training stops earlier when it converges (see <see cref="Patience"/>).
    /// Default: null, which is 1000 for the linear model, enough for the adaptive schedule to converge on small, ill-conditioned data sets (housing.txt
    /// converges in a few hundred epochs of 2 steps each); large data sets converge in a few epochs.
    /// </summary>
    public int? NumberOfEpochs;

    /// <summary>
    /// The relative improvement of the training loss that counts as progress (at least 0): an epoch improves when its
    /// loss is below the best so far by more than this fraction of it, and by more than the standard error of the epoch
    /// loss when that is an average of batch losses (scikit-learn's <c>tol</c>, made relative so that it does not depend
    /// on the label's units). Default: null, which is 1e-4 with hidden layers (scikit-learn's <c>tol</c>) and 1e-9 for the linear model (1e-4 for the classification trainers' linear model): the noise term filters chance improvements of large data sets, and small
    /// ones, whose epoch loss is measured exactly in double, need a tolerance this tight for the weights to come within
    /// 1e-4 of the least-squares optimum (a larger one stopped housing.txt, condition number ~200, 0.02-0.2% above it).
    /// </summary>
    public float? ConvergenceTolerance;

    /// <summary>
    /// The number of epochs in a row without improvement (see <see cref="ConvergenceTolerance"/>) that make a plateau
    /// (scikit-learn's <c>n_iter_no_change</c>): the adaptive schedule then grows the batch, and the other schedules
    /// (or the adaptive one at its largest batch) stop training as converged. 0 disables the rule, so training runs all
    /// <see cref="NumberOfEpochs"/> (and the adaptive schedule keeps its batch). Default: null, which is 10 with hidden layers (scikit-learn's <c>n_iter_no_change</c>) and 2 for the linear model: on 1M rows each
    /// plateau then costs 3 epochs, and the loss of an epoch of fewer than 32 steps is measured over all rows after
    /// the epoch, so that the batch order does not make plateaus appear by chance.
    /// </summary>
    public int? Patience;

    /// <summary>
    /// The number of rows per gradient step (at least 1). Default: 256. A value of at least the number
    /// of rows, such as <see cref="FullBatch"/>, gives full-batch gradient descent (one step per epoch).
    /// The last batch of an epoch holds the remaining rows.
    /// </summary>
    public int BatchSize = 256;

    /// <summary>
    /// Whether to randomise the order of training (seeded by <see cref="Seed"/>): the rows are put in a
    /// random order once, so that every mini-batch is a random sample even of sorted data, and the
    /// mini-batches are then visited in a new random order every epoch. Keeping each batch contiguous
    /// lets an epoch run over memory sequentially without copying (a per-epoch reshuffle of the rows
    /// cost more than the training arithmetic itself). Streamed rows (<see cref="Streaming"/>) cannot be
    /// reordered in place: each epoch draws its batches through a seeded shuffle buffer instead. Ignored for
    /// full batches, whose gradient does not depend on the order. Default: true.
    /// </summary>
    public bool Shuffle = true;

    /// <summary>
    /// The seed of the shuffling: the same seed, options and data give a bit-identical model. Default: null, which
    /// draws a seed from <see cref="MLContext"/>'s random source when it is set (so <c>new MLContext(seed: 1)</c>
    /// reproduces a run, as with ML.NET's own trainers) and uses the fixed <see cref="DefaultSeed"/> otherwise: training
    /// is deterministic by default, also through the short catalog overload.
    /// </summary>
    public int? Seed;

    /// <summary>The seed used when neither <see cref="Seed"/> nor <see cref="MLContext"/> is set.</summary>
    public const int DefaultSeed = 0;

    /// <summary>
    /// The L2 penalty coefficient λ (at least 0), PyTorch's <c>weight_decay</c> on the weights only
    /// (not the bias): each step uses the gradient of <c>loss + (λ / 2) * ||w||^2</c>, where loss is the
    /// (weighted) mean loss over the batch and <c>w</c> the weights as trained (of the standardised features with the default
    /// <see cref="FeatureStandardization"/>). For the mean squared error with full batches the model converges to the ridge
    /// solution of <c>(X^T W X + (λ / 2) * sum(W) * I) w = X^T W (y - b)</c> (W the example weights; 1 when none).
    /// The loss history does not include the penalty. Set 0 for no penalty.
    /// Default: null, which is 0 for regression and for models with hidden layers or a <see cref="ModelFactory"/>, and for the
    /// linear model of the binary and multiclass trainers <c>1 / n</c> (n the training rows after any validation hold-out), the
    /// mean-loss form of ML.NET L-BFGS's <c>L2Regularization = 1</c> and scikit-learn's <c>LogisticRegression(C = 1)</c>; with
    /// that default penalty an indicator column (every value 0 or 1, such as a one-hot category) is centred but not scaled, so its
    /// weight is penalised per unit (the category's effect) and the other weights per standard deviation of their feature.
    /// </summary>
    public float? L2Regularization;

    /// <summary>
    /// Log the training loss every this many epochs (at least 1); the first and the last epoch are
    /// always logged. Default: 1 (every epoch).
    /// </summary>
    public int LossLoggingInterval = 1;

    /// <summary>
    /// Receives one structured Information event per logged epoch (EventId 2, <c>EpochCompleted</c>, with
    /// <c>Epoch</c>, <c>Epochs</c>, <c>Loss</c>, <c>LearningRate</c>, <c>Elapsed</c>), a start event and a warning
    /// for skipped rows. Default: null. Takes precedence over <see cref="LoggerFactory"/>.
    /// </summary>
    public ILogger? Logger;

    /// <summary>Creates the logger when <see cref="Logger"/> is null (category <c>GdTrainer.MLNet.</c> and the trainer's type name, e.g. <c>GdTrainer.MLNet.GradientDescentRegressionTrainer</c>). Default: null.</summary>
    public ILoggerFactory? LoggerFactory;

    /// <summary>
    /// The context whose <c>Log</c> event receives the same loss lines (source <c>GradientDescentRegressionTrainer</c>,
    /// channel <c>Training</c>), and whose random source seeds training when <see cref="Seed"/> is null. ML.NET gives
    /// third-party catalog extensions no public way to reach the context behind
    /// <c>mlContext.Regression.Trainers</c>, so pass it here. Default: null (no lines to <c>MLContext.Log</c>).
    /// </summary>
    public MLContext? MLContext;

    /// <summary>
    /// What to do with a row that cannot be trained on: a NaN or infinite label or feature (a missing value read from a
    /// file is NaN), or an example weight that is NaN, infinite, zero or negative. <see cref="InvalidRowHandling.Skip"/>
    /// leaves such rows out, counts them by reason in the trained model's <see cref="GradientDescentModelParameters.RowCounts"/>
    /// (<c>model.Model.RowCounts</c>) and logs a warning to <see cref="Logger"/> and <see cref="MLContext"/> when they are set;
    /// <see cref="InvalidRowHandling.Error"/> stops <c>Fit</c> with an <see cref="InvalidOperationException"/> naming the first such
    /// row (its 0-based position in the input), the column and the value. Default: <see cref="InvalidRowHandling.Skip"/>.
    /// </summary>
    public InvalidRowHandling InvalidRows = InvalidRowHandling.Skip;

    /// <summary>
    /// Whether to stream the training rows from the data view on every epoch instead of reading them into memory once: true
    /// streams, false holds them in memory whatever their size, and null lets <see cref="MemoryBudgetBytes"/> decide (the rows
    /// are streamed when they would take more than it; a data view that cannot tell its row count is read into memory until its
    /// rows would exceed it, and streamed from then on). Default: null. Every <c>Fit</c> logs where its rows went and why
    /// (Information event 8, <c>DataPlacement</c>, and a line to <see cref="MLContext"/>'s log).
    /// <para>
    /// Streaming reads the rows through a new cursor each pass, so the data view must give the same rows in the same order every
    /// time (a file, such as <c>mlContext.Data.LoadFromBinary</c> of a <c>SaveAsBinary</c> file, or a deterministic pipeline; every
    /// transform in front of the trainer runs again each epoch). One pass before training computes the standardisation
    /// statistics, the row counts and the label checks; the linear model's derived learning rate takes a second (the largest
    /// norm of the rows as standardised), and weighted rows with <see cref="ValidationFraction"/> a second for the weight of each
    /// side. Each epoch shuffles its rows through a seeded buffer of min(<see cref="MemoryBudgetBytes"/> / 2, 128 MiB), at least
    /// two batches (a new order every epoch, reproducible for a <see cref="Seed"/>; the same model for the same seed, though not
    /// the bits of an in-memory fit); <see cref="ValidationFraction"/> holds out a seeded random subset of exactly its share of
    /// the rows, and its validation loss costs a pass after every epoch, as do validation rows that <c>Fit(train, validation)</c>
    /// streams. Memory is then the buffer and one batch (a full batch, <see cref="BatchSize"/> = <see cref="FullBatch"/>, holds
    /// every row). Reading an epoch's rows is slower than reading memory (docs/benchmarks.md measures it), and a read error ends
    /// <c>Fit</c> with an <see cref="InvalidOperationException"/> naming the data view and the epoch, never with a model trained on
    /// part of an epoch. A feature column wider than 1,024 slots is read as sparse rows and always held in memory (true is then an error).
    /// </para>
    /// </summary>
    public bool? Streaming;

    /// <summary>
    /// The most memory, in bytes (positive), that the rows held in memory may take (the training rows, then the validation rows
    /// of <c>Fit(train, validation)</c> in what is left) when <see cref="Streaming"/> is null; rows that would take more are
    /// streamed (a dense row takes 4 bytes per feature, 4 for its label and 4 for its example weight). Streaming, half of it
    /// bounds the shuffle buffer (at most 128 MiB). Default: null, which is a quarter of
    /// <c>GC.GetGCMemoryInfo().TotalAvailableMemoryBytes</c> (the machine's memory, or the container's limit or
    /// <c>GCHeapHardLimit</c> when one is set): room for the rows, a pipeline's own cache of them (<c>AppendCacheCheckpoint</c>) and
    /// the rest of the process, with half the memory left to the system. Must be null with <see cref="Streaming"/> = false.
    /// </summary>
    public long? MemoryBudgetBytes;

    /// <summary>Cancels training between mini-batches (and while reading) with an <see cref="OperationCanceledException"/>. Default: none.</summary>
    public CancellationToken CancellationToken;

    /// <summary>
    /// The threads a training step uses, the calling thread included (at least 1), as on ML.NET's SDCA, L-BFGS and LightGbm.
    /// Default: null, every logical processor (<see cref="Environment.ProcessorCount"/>), as those trainers do: the trained model is
    /// bit-identical for every value (each batch is cut into micro-shards by its size and the model alone, and their gradients are
    /// summed in a fixed order), so using every core costs no reproducibility; measured on 2 cores (docs/benchmarks.md, issue 20),
    /// 2 threads train an MLP epoch 1.3x faster and the linear model's 1M-row fit 1.1x, and leave a small fit (adult) as fast as
    /// 1 thread. 1 trains on the calling thread alone. Batches too
    /// small to split run on one thread whatever the value: with the default 256 rows, the linear model's (its larger batches under
    /// <see cref="LearningRateSchedule.Adaptive"/> and its exact loss passes are split) and small MLPs' (an MLP of ~4,000 parameters
    /// or more splits a batch of 256 in two). The shards of a batch call <see cref="ModelFactory"/>'s module and a custom
    /// <see cref="Loss"/> on several threads at once: they must only read their state in <c>Forward</c> and <c>Compute</c>.
    /// </summary>
    public int? NumberOfThreads;

    /// <summary>
    /// The processes that train this model together (data parallelism over several machines): for an MPI job,
    /// <see cref="MpiCommunicator.FromEnvironment()"/> on every rank (<c>mpiexec -n 4 dotnet app.dll</c>). Every rank calls <c>Fit</c>
    /// with the same options on the same data; each computes its block of every batch's micro-shards, the ranks exchange the
    /// blocks' gradient sums every step, and every rank gets the same model, bit for bit the model one process trains with the same
    /// batches (docs/distributed.md). Each rank reads all the rows (the data is not split among them). The ranks check that their
    /// options, rows and label keys agree before training, stop together on cancellation (at an epoch's end), and fail together,
    /// naming the rank, when one fails or stops answering. Save the model on rank 0 only. With a communicator and
    /// <see cref="NumberOfThreads"/> null, each rank uses its machine's cores divided by the ranks on that machine. Default: null,
    /// this process alone, no native library loaded.
    /// </summary>
    public Communicator? Communicator;

    /// <summary>A shallow copy (the pluggable objects are shared; they are immutable or used only to create new objects).</summary>
    internal virtual GradientDescentTrainerOptions Clone()
    {
        var copy = (GradientDescentTrainerOptions)MemberwiseClone();
        copy.HiddenLayers = (int[])HiddenLayers?.Clone()!; // null stays null, for Validate's clear error.
        return copy;
    }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(LabelColumnName, nameof(LabelColumnName));
        ArgumentException.ThrowIfNullOrWhiteSpace(FeatureColumnName, nameof(FeatureColumnName));
        if (ExampleWeightColumnName is not null && string.IsNullOrWhiteSpace(ExampleWeightColumnName))
        {
            throw new ArgumentException("ExampleWeightColumnName must be null (no weights) or a column name, not empty.", nameof(ExampleWeightColumnName));
        }

        SettingChecks.LearningRate(LearningRate);
        SettingChecks.ConvergenceTolerance(ConvergenceTolerance);
        SettingChecks.Patience(Patience);
        if (!Enum.IsDefined(FeatureStandardization))
        {
            throw new ArgumentOutOfRangeException(nameof(FeatureStandardization), FeatureStandardization,
                $"FeatureStandardization must be one of {string.Join(", ", Enum.GetNames<FeatureStandardization>())}, but was {(int)FeatureStandardization}.");
        }

        SettingChecks.NumberOfEpochs(NumberOfEpochs);
        SettingChecks.BatchSize(BatchSize);
        if (L2Regularization is { } l2)
        {
            SettingChecks.L2Regularization(l2);
        }
        if (HiddenLayers is null)
        {
            throw new ArgumentNullException(nameof(HiddenLayers), "HiddenLayers must not be null; use an empty array for the linear model.");
        }

        foreach (int size in HiddenLayers)
        {
            if (size < 1)
            {
                throw new ArgumentOutOfRangeException(nameof(HiddenLayers), size, $"Every hidden layer needs at least 1 unit, but HiddenLayers is [{string.Join(", ", HiddenLayers)}].");
            }
        }

        if (!Enum.IsDefined(Activation))
        {
            throw new ArgumentOutOfRangeException(nameof(Activation), Activation, $"Activation must be one of {string.Join(", ", Enum.GetNames<Activation>())}, but was {(int)Activation}.");
        }

        if (!(Dropout >= 0f && Dropout < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, $"Dropout must be a probability in [0, 1), but was {Dropout.ToString(CultureInfo.InvariantCulture)}.");
        }

        if (Dropout > 0f && HiddenLayers.Length == 0 && ModelFactory is null)
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Dropout applies to hidden layers, but HiddenLayers is empty (the linear model). Add hidden layers or set Dropout to 0.");
        }

        SettingChecks.MaxGradientNorm(MaxGradientNorm);
        SettingChecks.ValidationFraction(ValidationFraction ?? 0f);
        SettingChecks.NumberOfThreads(NumberOfThreads);
        EarlyStopping?.Validate();
        SettingChecks.Schedules(LearningRateSchedule, LearningRateScheduler);
        SettingChecks.LossLoggingInterval(LossLoggingInterval);
        if (!Enum.IsDefined(InvalidRows))
        {
            throw new ArgumentOutOfRangeException(nameof(InvalidRows), InvalidRows,
                $"InvalidRows must be one of {string.Join(", ", Enum.GetNames<InvalidRowHandling>())}, but was {(int)InvalidRows}.");
        }

        if (MemoryBudgetBytes is { } budget && budget <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MemoryBudgetBytes), budget,
                string.Create(CultureInfo.InvariantCulture, $"MemoryBudgetBytes must be a positive number of bytes (or null for a quarter of the memory available to the process), but was {budget}."));
        }

        if (Streaming == false && MemoryBudgetBytes is not null)
        {
            throw new ArgumentException(
                "MemoryBudgetBytes has no effect with Streaming = false, which holds the rows in memory whatever their size: leave MemoryBudgetBytes null, or set Streaming to null to let the budget decide.",
                nameof(MemoryBudgetBytes));
        }
    }
}
