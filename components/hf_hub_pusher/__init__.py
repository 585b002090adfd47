"""HFHubPusher: a blessed model's 🤗 files, SavedModel and model card to a Hub repository."""
