// Step 5: pm2-runtime keeps Directus up in cluster mode, as the official image does; the CLI path
// is the one entrypoint.sh resolved, so the image and a checkout run the same file.
module.exports = {
  apps: [
    {
      name: 'directus',
      script: process.env.DIRECTUS_CLI,
      args: ['start'],
      instances: process.env.PM2_INSTANCES ?? 1,
      exec_mode: 'cluster',
      max_memory_restart: process.env.PM2_MAX_MEMORY_RESTART,
      min_uptime: process.env.PM2_MIN_UPTIME,
      listen_timeout: process.env.PM2_LISTEN_TIMEOUT,
      kill_timeout: process.env.PM2_KILL_TIMEOUT,
    },
  ],
};
