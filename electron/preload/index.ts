import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('autoscaler', {});
