"""Known mistakes in CNN architectures for spectrograms."""

FIXED_SIZE = "a layer is sized for one input size (a dense layer on a flattened map?); pool globally or adaptively so any F and T work."
CROPPED = "part of the spectrogram never reaches the output; the clip's score must pool over every bin and frame."
TIME_POOLED = "it pools over time; a frame-level classifier pools over frequency only, so every frame keeps its score."
FREQUENCY_KEPT = "the frequency axis is still there; pool it away (for example an adaptive max over F) and keep only time."
AXES_SWAPPED = "the axes are swapped; the classes come before time (N, n_classes, T), as channels come before positions."
ODD_SIZE_LOST = "pooling by 2 and upsampling by 2 loses a row or column when F or T is odd; keep the size or upsample to the input's size."
DOWNSAMPLED = "the map is smaller than the input; a pixel-level classifier needs a score for every bin and frame."
GLOBAL_IN_TIME = "each frame's score depends on the whole clip; a frame's score should come from the frames around it (its receptive field)."
NOT_A_SCORE_PER_CLIP = "the detector should give one score per clip, shape (N,); flatten the (N, 1) output, for example with nn.Flatten(0)."
INVERTED = "the scores are upside down: a higher score must mean a coo is present."
CHANCE = "it is barely better than guessing; check the training loop, and that the receptive field spans a 0.5 s coo (four 2 x 2 pooling stages)."
PARTLY = (
    "it finds the coo in some clips but misses it in many; it must see both axes (the coo differs from the other birds"
    " in its band and from the blips in its length: four 2 x 2 pooling stages span 0.5 s), and train as the stub says"
    " (Adam, lr 1e-2, the weights of the epoch with the lowest validation loss)."
)
NOT_REPRODUCIBLE = "two runs with the same seed gave different models; seed torch (torch.manual_seed) and every shuffle from `seed`."
OVERFITTED = "its model overfits: hold out a validation part of X and y, and keep the weights of the epoch with the lowest validation loss, not the last epoch's."
TRAIN_MODE_LOSS = "the loss was computed in train mode; call model.eval() first, so batch norm uses its running statistics and dropout is off."
NOT_A_DETECTOR_YET = "this property earns its points once the trained model also finds the coo in held-out clips; make train_detector learn first."
NOT_CONVOLUTIONAL = "it is not a CNN yet: its scores must come from learnable convolution kernels (nn.Conv2d layers it calls), not from fixed arithmetic on the input."
NOT_LEARNT = "it does not learn from its clips: trained on the same clips upside down (the coo in another band), it does not find the coo there; train the CNN on X and y instead of fixing what it looks for."

# ROC AUC under which a detector is named no better than guessing (an untrained one scores
# 0.36-0.74, median about 0.5); from there up to the bound it finds the coo in part: one that
# sees a single axis scores 0.7-0.79, one trained with SGD and momentum (off the stub's Adam)
# 0.86-0.94 by student, and is named PARTLY, whose advice also covers training.
CHANCE_BELOW = 0.6


def poor_ranking(auc: float, bound: float) -> str:
    """The mistake that names a detector's ROC AUC below `bound`: its scores upside down
    (below 1 - bound), about as good as guessing (below CHANCE_BELOW), or a coo found only in part."""
    if auc < 1 - bound:
        return INVERTED
    return CHANCE if auc < CHANCE_BELOW else PARTLY
