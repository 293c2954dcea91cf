import { app } from 'electron';

void app.whenReady().then(() => {
  console.log('clearml-tray-autoscaler starting');
});
