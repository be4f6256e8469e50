"""Resumes at the saved epoch + 1, as if the saved number were the last epoch done, counted from 0."""


def resume_training(x, y, stop_epoch, epochs):
    model, optimizer, shuffle, loader = fresh(x, y)
    train_epochs(model, optimizer, loader, 0, stop_epoch)
    buffer = io.BytesIO()
    torch.save({"epoch": stop_epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "shuffle": shuffle.get_state()}, buffer)
    model, optimizer, shuffle, loader = fresh(x, y)
    buffer.seek(0)
    checkpoint = torch.load(buffer)
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    shuffle.set_state(checkpoint["shuffle"])
    train_epochs(model, optimizer, loader, checkpoint["epoch"] + 1, epochs)
    return weights(model)
