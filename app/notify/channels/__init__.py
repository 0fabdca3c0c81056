"""The channels, one module each, registered by kind: adding one touches its module and this
dict."""

from __future__ import annotations

from app.notify.channels import (
    discord,
    email,
    google_chat,
    mattermost,
    slack,
    teams,
    telegram,
)
from app.notify.channels.base import Channel, Sent, Target
from app.notify.models import ChannelKind

CHANNELS: dict[ChannelKind, Channel] = {
    ChannelKind.EMAIL: email.CHANNEL,
    ChannelKind.SLACK: slack.CHANNEL,
    ChannelKind.TEAMS: teams.CHANNEL,
    ChannelKind.MATTERMOST: mattermost.CHANNEL,
    ChannelKind.GOOGLE_CHAT: google_chat.CHANNEL,
    ChannelKind.DISCORD: discord.CHANNEL,
    ChannelKind.TELEGRAM: telegram.CHANNEL,
}

__all__ = ["CHANNELS", "Channel", "Sent", "Target"]
