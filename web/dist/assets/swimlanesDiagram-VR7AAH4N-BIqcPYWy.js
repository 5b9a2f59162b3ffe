import{r as e,t}from"./chunk-SHT3W25Y-bLCArh4q.js";import"./chunk-POPQ4Y6H-B73FfQa3.js";import"./mermaid.core-BR5NvQAF.js";import"./chunk-F27PBJKO-DqTTAW7a.js";import"./chunk-L3NEJ4N5--lsf3Kt3.js";import"./chunk-OSK3NFVY-CsnlPNoT.js";import"./chunk-GVQU2GXP-D-1BNgZq.js";import"./chunk-4HAMMTFA-DUqjR3Jc.js";import"./chunk-P2QGCYS3-K2D3JzUP.js";import"./chunk-GMAD6QVW-BOP2Dcwb.js";import"./chunk-PWAF6VOD-B8jSuN-P.js";import"./chunk-75Z2AOVW-BaT-7adk.js";import"./chunk-DU6HZSFF-Cwm4PIIm.js";import"./chunk-X3CZISLH-CifqmFa4.js";import{n}from"./chunk-Y2CYZVJY-DsF7k-Jl.js";var r=t({defaultLayout:`swimlane`,styles:n(t=>`${e(t)}
  .swimlane.cluster rect {
    stroke: ${t.clusterBorder} !important;
  }
  [data-look="neo"].cluster rect {
    filter: none;
  }
`,`getStyles`)});export{r as diagram};