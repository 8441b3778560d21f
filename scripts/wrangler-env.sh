# Sourced by the scripts that run wrangler, workerd or Miniflare (dev,
# measure-worker, test-worker, test-www), so they all run them alike.
# wrangler needs the Node 22 of node_modules/.bin, ahead of the system's.
wrangler_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HOME/.cargo/bin:$wrangler_root/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false CLOUDFLARE_CF_FETCH_ENABLED=false
export WRANGLER_LOG_PATH="$wrangler_root/.wrangler/logs"
# wrangler keeps its own files (metrics consent, logs) under XDG_CONFIG_HOME.
export XDG_CONFIG_HOME="$wrangler_root/.wrangler/config"
# Anything workerd, Miniflare or wrangler writes stays in the ignored .wrangler/.
export TMPDIR="$wrangler_root/.wrangler/tmp"
mkdir -p "$TMPDIR"
unset wrangler_root
