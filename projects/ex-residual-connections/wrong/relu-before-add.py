"""Applies the last ReLU to the body, then adds the shortcut."""


def basic_block(x, w1, w2, w_short, stride):
    h = F.relu(F.conv2d(x, w1, stride=stride, padding=1))
    body = F.relu(F.conv2d(h, w2, padding=1))
    shortcut = x if w_short is None else F.conv2d(x, w_short, stride=stride)
    return body + shortcut
