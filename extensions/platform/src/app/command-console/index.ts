import { defineModule } from '@directus/extensions-sdk';
import { forPlatformPeople } from '../shared/module-access.ts';
import CommandConsole from './command-console.vue';

// Open to every member: someone whose role may not command is told so there, instead of missing a screen.
export default defineModule({
  id: 'command-console',
  name: 'Command console',
  icon: 'send_to_mobile',
  routes: [{ path: '', component: CommandConsole }],
  preRegisterCheck: forPlatformPeople,
});
