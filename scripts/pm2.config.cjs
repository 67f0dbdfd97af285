// pm2-runtime keeps Directus up in cluster mode, as the official image does. Each instance runs the
// boot's steps 1–4 under its lock while it loads Directus, then serves (scripts/boot/main.ts serve).
module.exports = {
  apps: [
    {
      name: 'directus',
      script: `${__dirname}/boot/pm2-instance.js`,
      instances: process.env.PM2_INSTANCES ?? 1,
      exec_mode: 'cluster',
      max_memory_restart: process.env.PM2_MAX_MEMORY_RESTART,
      min_uptime: process.env.PM2_MIN_UPTIME,
      listen_timeout: process.env.PM2_LISTEN_TIMEOUT,
      kill_timeout: process.env.PM2_KILL_TIMEOUT,
    },
  ],
};
